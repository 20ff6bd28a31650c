-- idBefore(a, b): stream id a is before b ("ms-seq" strings, compared as numbers).
local function idBefore(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  return tonumber(as) < tonumber(bs)
end

-- groupCursors(streamKey): per group of the stream, { name, last-delivered-id, lag } (lag is
-- false when Redis cannot tell, after deleted entries); {} when there is no stream.
local function groupCursors(streamKey)
  local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', streamKey)
  if not ok then return {} end
  local cursors = {}
  for _, info in ipairs(groups) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    cursors[#cursors + 1] = { name = fields['name'], last = fields['last-delivered-id'], lag = tonumber(fields['lag']) or false }
  end
  return cursors
end
