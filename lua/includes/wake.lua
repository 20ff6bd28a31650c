-- wake(wakeKey, group): tell idle workers, blocked on XREAD, that work became available
-- outside the job stream (a retry, a reclaimed lease, a resume). Capped: only the newest
-- entry matters.
local function wake(wakeKey, group)
  redis.call('XADD', wakeKey, 'MAXLEN', '16', '*', 'g', group)
end
