--[[
  remove-job: delete one job and its logs, wherever it waits. An active job is refused: its
  worker holds the lease (wait for it, or let it fail).

  KEYS[1] job        P:{Q}:job:<id>
  KEYS[2] active     P:{Q}:g:G:active
  KEYS[3] wait       P:{Q}:g:G:wait
  KEYS[4] delayed    P:{Q}:delayed
  KEYS[5] retry      P:{Q}:g:G:retry
  KEYS[6] prio       P:{Q}:g:G:prio
  KEYS[7] completed  P:{Q}:g:G:completed
  KEYS[8] failed     P:{Q}:g:G:failed
  KEYS[9] logs       P:{Q}:logs:<id>

  ARGV[1] id         job id

  Returns 1 removed, 0 no such job, -1 refused because the job is active.
  A waiting job's stream entry stays; the lease script skips entries whose record is gone.
]]
local jobKey, activeKey, waitKey, delayedKey, retryKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local prioKey, completedKey, failedKey, logsKey = KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local id = ARGV[1]
if redis.call('EXISTS', jobKey) == 0 then return 0 end
if redis.call('ZSCORE', activeKey, id) then return -1 end
for _, key in ipairs({ delayedKey, retryKey, prioKey, completedKey, failedKey }) do redis.call('ZREM', key, id) end
redis.call('LREM', waitKey, 0, id)
redis.call('DEL', jobKey, logsKey)
return 1
