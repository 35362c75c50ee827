"""Server-side Lua scripts: each answers or changes one thing in one round trip.

They read rq's keys, whose prefixes :mod:`django_rq_poll.store` passes in from rq itself.
"""

from __future__ import annotations

# KEYS: [url key] (absent when looking up by id)
# ARGV: job id (when no key), job prefix, results prefix, executions prefix, wip prefix,
#       flags ("r" result, "m" meta), ttl for the mapping of an abandoned job
# Returns {} for "no mapping", {id} for "job gone" (mapping healed), else
#   {id, status, abandoned ("1"/""), latest result entry {id, fields} or {}, meta or ""}.
LOOKUP = r"""
local id = ARGV[1]
local by_url = #KEYS > 0
if by_url then
  id = redis.call('GET', KEYS[1])
  if not id then return {} end
end
local jk = ARGV[2] .. id
local f = redis.call('HMGET', jk, 'status', 'origin', 'meta')
local status = f[1]
if not status then
  if by_url then redis.call('DEL', KEYS[1]) end
  return {id}
end
local abandoned = ''
if status == 'started' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  local alive = false
  local execs = redis.call('ZRANGE', ARGV[4] .. id, 0, -1)
  for _, e in ipairs(execs) do
    local s = redis.call('ZSCORE', ARGV[5] .. (f[2] or ''), id .. ':' .. e)
    if s and (s == 'inf' or s == '+inf' or tonumber(s) == nil or tonumber(s) > now) then
      alive = true
      break
    end
  end
  if not alive then
    abandoned = '1'
    if by_url and redis.call('TTL', KEYS[1]) == -1 and tonumber(ARGV[7]) > 0 then
      redis.call('EXPIRE', KEYS[1], ARGV[7])
    end
  end
end
if by_url and (status == 'finished' or status == 'failed' or status == 'stopped'
    or status == 'canceled') and redis.call('TTL', KEYS[1]) == -1 then
  -- the job ended without our callback settling its mapping (work-horse killed,
  -- canceled from elsewhere): the mapping lives as long as the job does
  local left = redis.call('PTTL', jk)
  if left > 0 then redis.call('PEXPIRE', KEYS[1], left) end
end
local fields = {}
local want_result = string.find(ARGV[6], 'r', 1, true) ~= nil
if status == 'finished' or (want_result and (status == 'failed' or status == 'stopped')) then
  local r = redis.call('XREVRANGE', ARGV[3] .. id, '+', '-', 'COUNT', 1)
  if #r == 0 then
    if status == 'finished' then
      -- a finished job whose result is gone cannot answer: treat it as vanished
      if by_url then redis.call('DEL', KEYS[1]) end
      return {id}
    end
  elseif want_result then
    fields = r[1]
  end
end
local meta = ''
if string.find(ARGV[6], 'm', 1, true) ~= nil and f[3] then meta = f[3] end
return {id, status, abandoned, fields, meta, f[2] or ''}
"""

# KEYS: [url key]; ARGV: job id, ttl (seconds; 0 deletes, -1 persists).
# Changes the mapping only while it still points at that job.
SETTLE = r"""
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[2])
if ttl == 0 then
  redis.call('DEL', KEYS[1])
elseif ttl < 0 then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('EXPIRE', KEYS[1], ttl)
end
return 1
"""

# KEYS: [url key]; ARGV: job id. Deletes the mapping only while it points at that job.
FORGET = r"""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
