--[[
  set-partitions: record how many partitions a queue has, or read it (src/partitions/layout.ts).
  The record lives in the queue's own meta (P:{Q}:meta, the slot of the queue's name); the
  partitions are queues of their own under the tags {Q~k}. Once recorded, the number is never
  changed by this script: a live queue's partitions hold its jobs by their ids and ordering keys.

  FLAGS allow-oom   (workers must start on a full Redis, to drain it; the record is one field)

  KEYS[1] meta       P:{Q}:meta
  KEYS[2] stream     P:{Q}:stream     jobs of the queue as it was before it was partitioned
  KEYS[3] delayed    P:{Q}:delayed

  ARGV[1] wanted     the number of partitions the caller was built with; 0: only read

  Returns the number recorded (0: none, the queue is not partitioned). Errors:
  SLUICE_PARTITIONS <n> when another number is recorded; SLUICE_UNPARTITIONED when the queue was
  used without partitions (its stream holds entries, or jobs are delayed). Neither changes anything.
]]
local metaKey, streamKey, delayedKey = KEYS[1], KEYS[2], KEYS[3]
local wanted = tonumber(ARGV[1])
local recorded = tonumber(redis.call('HGET', metaKey, 'partitions')) or 0
if wanted == 0 or recorded == wanted then return recorded end
if recorded > 0 then return redis.error_reply('SLUICE_PARTITIONS ' .. recorded) end
-- a queue without a record is one partition: asking for one changes nothing
if wanted == 1 then return 0 end
-- (an empty stream is no job: a worker that started first made it for its group)
if redis.call('XLEN', streamKey) > 0 or redis.call('ZCARD', delayedKey) > 0 then
  return redis.error_reply('SLUICE_UNPARTITIONED')
end
redis.call('HSET', metaKey, 'partitions', wanted)
return wanted
