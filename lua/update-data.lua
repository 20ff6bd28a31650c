--[[
  update-data: replace a job's data (job.updateData), in the record its group reads it from: the
  group's own record when it has one (waiting with a record, active, a retry, a step job between
  steps), else the published record (a delayed job no group has taken yet). A job still in the
  stream that the group has not read yet (streamEntryJob.lua): a group other than default gets
  its own record now, with the new data, and its lease takes that record when it reaches the
  entry (the job keeps its place); a plain job's entry carries the job, and a lease would
  rewrite the record from it, so the job leaves the stream: every group that has not read it
  gets its record and goes on in its wait list (ahead of the stream). A finished job is refused.

  KEYS[1] job        P:{Q}:job:<id>     the published record
  KEYS[2] groups     P:{Q}:groups
  KEYS[3] stream     P:{Q}:stream
  KEYS[4] wake       P:{Q}:wake         never written (the groups' wake markers are): declared so
                                        that Redis refuses this call whole while the queue's slot
                                        migrates (lua/README.md)

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] id         job id
  ARGV[4] data       the new data (JSON, checked by the caller)

  Returns { outcome, state }: outcome 'ok', 'finished' (state: completed or failed, nothing
  written) or 'notFound' (no record in the group, no published one, and not in the stream for
  the group; state '').
]]
-- @include keys
-- @include streamEntryJob
-- @include wake
-- @include jobData
-- @include leasedEntry
local jobKey, groupsKey, streamKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local base, group, id, data = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local target = Key.job(Key.records(base, group), id)
local state = redis.call('HGET', target, 's')
-- leased without a record (leasedEntry.lua): it gets one, for the new data; its holder's lease goes on
if not state and recordLease(streamKey, target, id, '*') then state = 'active' end

if not state then
  -- not met by the group yet: still in the stream for it?
  local entryId, entry = streamEntryOf(base, streamKey, id)
  local unread = {}
  if entryId then
    local groups = redis.call('SMEMBERS', groupsKey)
    if #groups == 0 then groups = { 'default' } end
    unread = unreadAmong(streamKey, entryId, groups)
  end
  local mine = false
  for _, name in ipairs(unread) do mine = mine or name == group end
  if mine then
    local record = entryRecord(base, id, entry)
    if entry[2][1] == 'j' then
      -- its lease adopts a record the group has (adoptJob): the entry stays, and so does its place
      takeRecord(base, id, group, entry, record)
    else
      redis.call('XDEL', streamKey, entryId)
      for _, name in ipairs(unread) do
        takeRecord(base, id, name, entry, record)
        redis.call('RPUSH', Key.group(base, name) .. Key.wait, id)
      end
      wake(wakeKey, '*')
    end
    writeData(target, data)
    return { 'ok', 'waiting' }
  end
end

if not state and target ~= jobKey then
  -- not met by the group yet: the published record is the one it will read
  target = jobKey
  state = redis.call('HGET', jobKey, 's')
end
if not state then return { 'notFound', '' } end
if state == 'completed' or state == 'failed' then return { 'finished', state } end
writeData(target, data)
return { 'ok', state }
