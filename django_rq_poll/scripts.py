"""Server-side Lua scripts: each answers or changes one thing in one round trip.

They read rq's keys, whose prefixes :mod:`django_rq_poll.store` passes in from rq itself.
"""

from __future__ import annotations

# KEYS: [url key] (absent when looking up by id)
# ARGV: job id (when no key), flags ("r" result, "m" meta), ttl for the mapping of an
#       abandoned job
# rq's key prefixes are written into the source by :func:`lookup_source` (fewer
# arguments to encode and parse on every call of the hot path).
# Returns {} for "no mapping", {id} for "job gone" (mapping healed), else
#   {id, status, abandoned ("1"/""), latest result {entry id, type, return value,
#   exc string} or {}, meta or "", origin}. Only the result fields rq needs to restore
#   a return value or an error travel back, not the whole stream entry.
LOOKUP = r"""
local id = ARGV[1]
local by_url = #KEYS > 0
if by_url then
  id = redis.call('GET', KEYS[1])
  if not id then return {} end
end
local f = redis.call('HMGET', @JOB@ .. id, 'status', 'origin', 'meta')
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
  local execs = redis.call('ZRANGE', @EXECUTIONS@ .. id, 0, -1)
  for _, e in ipairs(execs) do
    local s = redis.call('ZSCORE', @WIP@ .. (f[2] or ''), id .. ':' .. e)
    if s and (s == 'inf' or s == '+inf' or tonumber(s) == nil or tonumber(s) > now) then
      alive = true
      break
    end
  end
  if not alive then
    abandoned = '1'
    if by_url and redis.call('TTL', KEYS[1]) == -1 and tonumber(ARGV[3]) > 0 then
      redis.call('EXPIRE', KEYS[1], ARGV[3])
    end
  end
end
local result = {}
local want_result = string.find(ARGV[2], 'r', 1, true) ~= nil
if status == 'finished' or (want_result and (status == 'failed' or status == 'stopped')) then
  local r = redis.call('XREVRANGE', @RESULTS@ .. id, '+', '-', 'COUNT', 1)
  if #r == 0 then
    if status == 'finished' then
      -- a finished job whose result is gone cannot answer: treat it as vanished
      if by_url then redis.call('DEL', KEYS[1]) end
      return {id}
    end
  elseif want_result then
    local wanted = {type = '', return_value = '', exc_string = ''}
    local flat = r[1][2]
    for i = 1, #flat, 2 do
      if wanted[flat[i]] then wanted[flat[i]] = flat[i + 1] end
    end
    result = {r[1][1], wanted.type, wanted.return_value, wanted.exc_string}
  end
end
local meta = ''
if string.find(ARGV[2], 'm', 1, true) ~= nil and f[3] then meta = f[3] end
return {id, status, abandoned, result, meta, f[2] or ''}
"""


def lookup_source(*, job: str, results: str, executions: str, wip: str) -> str:
    """LOOKUP with rq's key prefixes written in as Lua string literals."""
    source = LOOKUP
    for name, prefix in (
        ("JOB", job),
        ("RESULTS", results),
        ("EXECUTIONS", executions),
        ("WIP", wip),
    ):
        source = source.replace(f"@{name}@", _lua_string(prefix))
    return source


_LUA_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def _lua_string(value: str) -> str:
    return "'" + value.translate(_LUA_ESCAPES) + "'"


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
