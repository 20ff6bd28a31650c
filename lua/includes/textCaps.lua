-- Size caps on free text that callers hand in and Redis keeps: failure reasons (the
-- record's fr and the events' r), stack traces (st) and log lines. Text over its cap is cut
-- at a UTF-8 character boundary and ends with a visible marker that gives the original size.
local REASON_MAX = 2048     -- bytes of a failure reason, in the record and in events
local STACK_MAX = 8192      -- bytes of a stack trace (JSON array of lines) in the record
local LOG_LINE_MAX = 4096   -- bytes of one log line

-- capText(text, max): text itself when it fits, else its head and ' …[truncated, N bytes]'
-- (N: the original size), max bytes in all.
local function capText(text, max)
  if #text <= max then return text end
  local marker = ' …[truncated, ' .. #text .. ' bytes]'
  local cut = max - #marker
  -- never split a character: back off over continuation bytes (10xxxxxx), at most 3
  for _ = 1, 3 do
    local b = string.byte(text, cut + 1)
    if b < 0x80 or b >= 0xC0 then break end
    cut = cut - 1
  end
  return string.sub(text, 1, cut) .. marker
end

-- capStack(json): a stack trace as stored (JSON array of lines) within STACK_MAX: its first
-- 20 lines, each cut to STACK_MAX / 20 bytes; text that is not such an array is cut as text.
local function capStack(json)
  if #json <= STACK_MAX then return json end
  local ok, lines = pcall(cjson.decode, json)
  if not ok or type(lines) ~= 'table' then return capText(json, STACK_MAX) end
  local kept = {}
  for i = 1, math.min(#lines, 20) do
    kept[i] = capText(tostring(lines[i]), math.floor(STACK_MAX / 20) - 16)
  end
  return cjson.encode(kept)
end
