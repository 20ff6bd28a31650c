--[[
  place-flow: place the next batch of a committed flow's held jobs (flowPlace.lua), in the order
  they were written, parents first. The producer repeats it after its commit until none are
  left; if it stops midway, the root queue's leases go on with it.

  KEYS[1] held       P:{R}:flow:<F>     the flow's held list, in its root's queue R
  KEYS[2] wake       P:{R}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] base       the root queue's key prefix "P:{R}:"
  ARGV[2] batch      held jobs to place at most (<= 1000)

  Returns how many held jobs are left (0: the flow is placed in full, and leaves the queue's
  list of committed flows).
]]
-- @include redisTime
-- @include flowPlace
local heldKey = KEYS[1]
local base, batch = ARGV[1], tonumber(ARGV[2])
local acc = newFlowPlacing(redisTime())
local left = placeHeld(acc, heldKey, batch)
finishFlowPlacing(acc)
if left == 0 then flowPlaced(base, heldKey) end
return left
