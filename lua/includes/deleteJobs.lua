-- deleteJobs(rb, ids): delete a group's records (and logs) of the given jobs (rb: the group's
-- record base, see records.lua), in chunks so that no single DEL grows unbounded.
local function deleteJobs(rb, ids)
  local chunk = {}
  for i = 1, #ids do
    chunk[#chunk + 1] = rb .. 'job:' .. ids[i]
    chunk[#chunk + 1] = rb .. 'logs:' .. ids[i]
    if #chunk >= 500 then
      redis.call('DEL', unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then redis.call('DEL', unpack(chunk)) end
end
