--[[
  cancel-job: ask the worker running a job to stop it (queue.cancelJob). The job's record
  gets cx = the reason; whichever worker holds the lease learns it at its next renewal
  (extend.lua returns it), aborts the processor's signal, and the attempt fails for good with
  the reason (JobCancelledError). The request stays on the record, so that a worker that takes
  the job over after a lost lease stops it too; job.retry() clears it (retry-job, retry-jobs).

  KEYS[1] job        the group's record: P:{Q}:job:<id> (default) or P:{Q}:g:G:job:<id>
  KEYS[2] active     P:{Q}:g:G:active
  KEYS[3] wake       P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)
  KEYS[4] stream     P:{Q}:stream       (a job leased without a record gets its record first:
                                        lua/includes/leasedEntry.lua)

  ARGV[1] id         job id
  ARGV[2] reason     why it is cancelled (its failure reason)

  Returns 1 when the job is running (the request is left for its worker), 0 when it is not.
]]
-- @include textCaps
-- @include leasedEntry
local jobKey, activeKey, streamKey = KEYS[1], KEYS[2], KEYS[4]
local id, reason = ARGV[1], ARGV[2]
if not redis.call('ZSCORE', activeKey, id) then return 0 end
if redis.call('EXISTS', jobKey) == 0 then
  -- leased without a record (leasedEntry.lua): it gets one, for the request; its holder's lease goes on
  if not recordLease(streamKey, jobKey, id, '*') then return 0 end
end
redis.call('HSET', jobKey, 'cx', capText(reason, REASON_MAX))
return 1
