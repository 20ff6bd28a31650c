-- The metrics keys of a queue and of its groups (src/metrics, docs/metrics.md), deleted with the
-- group (remove-group) or the queue (obliterate). Their names are those of src/redis/keys.ts
-- (group(G).metrics, minutes, minuteHist, workers, worker(id); the queue's metrics), kept here
-- rather than in Key (keys.lua) so that the scripts that never need them do not build them on
-- every call.
--   dropGroupMetrics(g)     a group's totals, per-minute rings, worker registry, and the
--                           descriptions of the workers listed there (WORKERS_DROP_MAX of them;
--                           any others expire by themselves a few heartbeats later)
--   dropQueueMetrics(base)  the queue's own metrics (backpressure rejections)
local WORKERS_DROP_MAX = 1000

local function dropGroupMetrics(g)
  local workers = redis.call('ZRANGE', g .. 'workers', 0, WORKERS_DROP_MAX - 1)
  local keys = { g .. 'metrics', g .. 'minutes', g .. 'mhist', g .. 'workers' }
  for i = 1, #workers do keys[#keys + 1] = g .. 'worker:' .. workers[i] end
  redis.call('DEL', unpack(keys))
end

local function dropQueueMetrics(base)
  redis.call('DEL', base .. 'metrics')
end
