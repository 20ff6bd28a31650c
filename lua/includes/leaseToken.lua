-- Lease tokens. A leased job's record holds its delivery's token in field tk: nonce.k for the
-- k-th job leased by the call with that nonce (the worker knows it without it being sent), ''
-- when no one holds the job. A worker proves its lease with the token: whatever it then does to
-- the job (ack, fail, hand back, renew, log, progress) changes nothing once the token moved on
-- (the lease ran out and the job was reclaimed or leased again). complete.lua also knows "=" ..
-- token, the mark its ack leaves in tk (an ack sent again is then recognised), which matches no
-- live token.

-- leaseToken(nonce, n): the token of the n-th job leased by the call with that nonce
local function leaseToken(nonce, n)
  return nonce .. '.' .. n
end

-- isCurrentToken(current, token): `token` is the job's current one (current: its tk field,
-- read by the caller along with other fields); an empty token never is. A tk of '*' takes any
-- token: a job leased without a record got its record from a caller other than its holder
-- (leasedEntry.lua), while that lease, the only one the job had, went on.
local function isCurrentToken(current, token)
  return token ~= '' and (current == token or current == '*')
end

