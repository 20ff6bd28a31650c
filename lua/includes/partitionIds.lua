-- Generated job ids in a partitioned queue say which partition made them, so that a client can
-- find a job by its id without asking every partition (src/partitions/layout.ts): partition p of
-- N gives counter ids n with n mod N = p, and stream entry ids whose ms part has ms mod N = p.
-- partitionSpec(arg): p, N from "p:N" ('' for a queue that is not partitioned: 0, 1).
local function partitionSpec(arg)
  local p, n = string.match(arg, '^(%d+):(%d+)$')
  return tonumber(p) or 0, tonumber(n) or 1
end

-- the smallest ms >= `ms` with ms mod n = p
local function alignedMs(ms, p, n)
  return string.format('%d', ms + (p - ms) % n)
end

-- addPlainEntry(stream, now, p, n, ...): XADD of a plain job's entry (its id is the job's id),
-- with the fields given. In a partition, the id's ms is `now` moved up to the partition's next
-- ms; Redis picks the sequence. When the stream already holds a later id (another entry written
-- with '*' at a later ms, or Redis time went back after a failover), XADD refuses the id
-- without writing, and the id is aligned after the stream's last one instead.
local function addPlainEntry(stream, now, p, n, ...)
  if n <= 1 then return redis.call('XADD', stream, '*', ...) end
  local id = redis.pcall('XADD', stream, alignedMs(now, p, n) .. '-*', ...)
  if type(id) == 'string' then return id end
  local info = redis.call('XINFO', 'STREAM', stream)
  local last = 0
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = tonumber(string.match(info[i + 1], '^(%d+)-')) or 0 end
  end
  return redis.call('XADD', stream, alignedMs(last + 1, p, n) .. '-*', ...)
end

-- the i-th counter id handed out by a partition whose counter was at `counter` before
local function counterId(counter, i, p, n)
  return string.format('%d', (counter + i) * n + p)
end
