-- dueScore(key, due): the score under which a job due at `due` (ms of Redis time) joins the
-- delayed set or a group's retry set, so that jobs due at the same ms run in the order they
-- were scheduled. (Redis orders equal scores by member bytes: job "10" before job "9".)
--
-- Decision: the member stays the job id (remove, drain, clean, obliterate and counts read the
-- sets unchanged) and the order goes into the score: due + n / 2048, where n follows the
-- highest score already in that ms ([due, due + 1)). A double carries 53 bits: ms timestamps
-- need 42 until 2^42 ms (the year 2109), which leaves 11 bits, so 2,048 exact steps per ms.
-- A full ms spills into the next one, and so on, so any number of jobs keep their order: the
-- ones past the first 2,048 become due a ms or a few later, after the jobs already due in
-- those ms. Promotion takes every score below now + 1 (the whole current ms).
-- Limits: exact up to the year 2109; after DUE_SPILL full ms (about 2 million jobs due at one
-- ms) jobs tie and run in id order. A score goes to Redis as a number (Redis formats it with
-- 17 digits, exactly); never with `..`, whose 14 digits would drop the step.
local DUE_STEP = 1 / 2048
local DUE_SPILL = 1024
-- per script call: the highest score placed or seen in a ms of a set (key|ms -> score or false)
local dueTops = {}

local function dueBucketTop(key, ms)
  local slot = key .. '|' .. string.format('%d', ms)
  local top = dueTops[slot]
  if top == nil then
    local found = redis.call('ZREVRANGEBYSCORE', key, string.format('(%d', ms + 1), string.format('%d', ms), 'LIMIT', 0, 1, 'WITHSCORES')
    top = tonumber(found[2]) or false
    dueTops[slot] = top
  end
  return top, slot
end

local function dueScore(key, due)
  local ms = math.floor(due)
  for _ = 1, DUE_SPILL do
    local top, slot = dueBucketTop(key, ms)
    local score = top and top + DUE_STEP or ms
    if score < ms + 1 then
      dueTops[slot] = score
      return score
    end
    ms = ms + 1
  end
  return ms
end
