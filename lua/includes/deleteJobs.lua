-- deleteJobs(base, ids): delete the records (and logs) of the given jobs, in chunks so
-- that no single DEL grows unbounded.
local function deleteJobs(base, ids)
  local chunk = {}
  for i = 1, #ids do
    chunk[#chunk + 1] = base .. 'job:' .. ids[i]
    chunk[#chunk + 1] = base .. 'logs:' .. ids[i]
    if #chunk >= 500 then
      redis.call('DEL', unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then redis.call('DEL', unpack(chunk)) end
end
