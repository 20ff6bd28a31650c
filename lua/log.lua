--[[
  log: append a line to a job's log, only for the current lease holder; the log is capped.

  KEYS[1] job        the group's record: P:{Q}:job:<id> (default) or P:{Q}:g:G:job:<id>
  KEYS[2] logs       P:{Q}:logs:<id> (default) or P:{Q}:g:G:logs:<id>
  KEYS[3] stream     P:{Q}:stream       (a job leased without a record gets its record first:
                                        lua/includes/leasedEntry.lua)

  ARGV[1] token      the lease token of this delivery
  ARGV[2] line       text (cut to LOG_LINE_MAX, 4 KiB, with a visible marker)
  ARGV[3] maxLines   how many lines to keep (the newest)
  ARGV[4] id         job id

  Returns the number of lines kept, or -1 when refused (not the current holder).
]]
-- @include textCaps
-- @include leasedEntry
local jobKey, logsKey, streamKey = KEYS[1], KEYS[2], KEYS[3]
local token, line, maxLines, id = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if not holdsLease(streamKey, jobKey, id, token) then return -1 end
local length = redis.call('RPUSH', logsKey, capText(line, LOG_LINE_MAX))
if length > maxLines then
  redis.call('LTRIM', logsKey, -maxLines, -1)
  return maxLines
end
return length
