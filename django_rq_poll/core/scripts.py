"""Server-side Lua scripts: each answers or changes one thing in one round trip.

They read rq's keys, whose prefixes :mod:`.rqlayout` takes from rq itself. A program
sends one as an :class:`~.ops.Script` operation (:func:`call`); drivers load a script a
server has forgotten.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from . import rqlayout
from .limits import RESERVATION
from .ops import Script

IS_ABANDONED = r"""
-- Whether a started job is abandoned, on evidence that eviction cannot remove only: an
-- entry of the job in rq's wip registry whose heartbeat score has passed, or, with no
-- heartbeat evidence left at all, its own hash saying it started longer ago than its
-- timeout (plus a grace). rq:executions:<id>, the execution hashes and the worker key
-- carry TTLs, so a volatile-* policy may evict them while the job runs; the wip
-- registry and a started job's hash carry none.
local function is_abandoned(id, origin, now)
  local wip = @WIP@ .. origin
  local alive, expired = false, false
  local function judge(s)
    if s == 'inf' or s == '+inf' or tonumber(s) == nil or tonumber(s) > now then
      alive = true
    else
      expired = true
    end
  end
  local execs = redis.call('ZRANGE', @EXECUTIONS@ .. id, 0, -1)
  for _, e in ipairs(execs) do
    local s = redis.call('ZSCORE', wip, id .. ':' .. e)
    if s then judge(s) end
    if alive then return false end
  end
  if not expired then
    -- No entry found through the executions list (evicted, expired, or read between
    -- two of rq's writes): look for the job's own entries in the wip registry.
    local prefix = id .. ':'
    local entries = redis.call('ZRANGE', wip, 0, -1, 'WITHSCORES')
    for i = 1, #entries, 2 do
      if string.sub(entries[i], 1, #prefix) == prefix then judge(entries[i + 1]) end
      if alive then return false end
    end
  end
  if not expired then
    -- No heartbeat evidence left at all (deleted, or evicted under an allkeys-* policy).
    -- rq kills a job at its timeout: one started longer ago than that is not running.
    local s = redis.call('HMGET', @JOB@ .. id, 'started_at', 'timeout')
    local y, m, d, hh, mm, ss = string.match(s[1] or '', '^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)')
    local limit = tonumber(s[2] or '')
    if y and limit and limit > 0 then
      -- rq's '%Y-%m-%dT%H:%M:%S.%fZ' (UTC) to Unix seconds: days from the civil date
      y, m, d = tonumber(y), tonumber(m), tonumber(d)
      if m <= 2 then y = y - 1 end
      local era = math.floor(y / 400)
      local yoe = y - era * 400
      local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
      local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
      local started = ((era * 146097 + doe - 719468) * 24 + tonumber(hh)) * 3600
        + tonumber(mm) * 60 + tonumber(ss)
      expired = now > started + limit + @TIMEOUT_GRACE@
    end
  end
  return expired and not alive
end
"""

# KEYS: [url key] (absent when looking up by id)
# ARGV: flags ("", "r" result, "m" meta or "rm"), job id (when no key)
# rq's key prefixes and the TTL given to the mapping of an abandoned job are written into
# the source by :func:`lookup_source`: fewer arguments to encode on every call of the
# hot path.
# Returns nil for "no mapping", the bare id for "job gone" (mapping healed), else one
# string (one bulk reply parses far faster than a nested array in redis-py):
#   id NUL status NUL abandoned ("1"/"") NUL result entry id NUL result type NUL
#   return value NUL exc string NUL ended_at NUL length of origin NUL origin meta
# The result fields are rq's base64 text (never NUL) and empty without a result;
# ended_at (rq's timestamp text, empty when unset) tells one run's result from
# another's, so that a process can remember which results it has read back;
# origin and meta, which may hold any byte, come last, split by origin's length.
LOOKUP = r"""
@IS_ABANDONED@
local id = ARGV[2]
local by_url = #KEYS > 0
if by_url then
  id = redis.call('GET', KEYS[1])
  if not id then return false end
  if not string.match(id, '^[%w_-]+$') then
    -- not a job id (written by another program): the mapping names no job
    redis.call('DEL', KEYS[1])
    return false
  end
end
local jk = @JOB@ .. id
local f = redis.call('HMGET', jk, 'status', 'origin', 'ended_at')
local status = f[1]
if not status then
  if by_url then redis.call('DEL', KEYS[1]) end
  return id
end
local origin = f[2] or ''
local abandoned = ''
if status == 'started' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  if is_abandoned(id, origin, now) then
    abandoned = '1'
    if by_url and redis.call('TTL', KEYS[1]) == -1 and @ABANDONED_TTL@ > 0 then
      redis.call('EXPIRE', KEYS[1], @ABANDONED_TTL@)
    end
  elseif by_url and redis.call('TTL', KEYS[1]) > 0 then
    -- A running job's mapping keeps no TTL, as rq persists the job's hash: a volatile-*
    -- policy cannot evict it (the queued job's lifetime it was given no longer applies).
    -- The job's end (callbacks) or its abandonment gives it one again.
    redis.call('PERSIST', KEYS[1])
  end
end
if by_url and (status == 'failed' or status == 'stopped' or status == 'canceled') then
  -- the job ended without our callback settling its mapping (work-horse killed,
  -- canceled from elsewhere): the mapping, which had no expiry or the bound of a
  -- queued job, lives as long as the job does. A second's slack: a settled mapping
  -- expires a few milliseconds before its job and is left alone. Not needed for
  -- 'finished', the hot path: rq runs on_success before it marks a job finished,
  -- and a callback that raises fails the job, so a finished job's mapping is settled.
  local left = redis.call('PTTL', jk)
  if left > 0 and redis.call('PTTL', KEYS[1]) + 1000 < left then
    redis.call('PEXPIRE', KEYS[1], left)
  end
end
local entry, kind, value, exc = '', '', '', ''
local flags = ARGV[1]
local want_result = flags == 'r' or flags == 'rm'
if want_result and (status == 'finished' or status == 'failed' or status == 'stopped') then
  local r = redis.call('XREVRANGE', @RESULTS@ .. id, '+', '-', 'COUNT', 1)
  if #r > 0 then
    entry = r[1][1]
    local flat = r[1][2]
    for i = 1, #flat, 2 do
      local name = flat[i]
      if name == 'type' then kind = flat[i + 1]
      elseif name == 'return_value' then value = flat[i + 1]
      elseif name == 'exc_string' then exc = flat[i + 1] end
    end
  end
end
if status == 'finished' and entry == '' and redis.call('EXISTS', @RESULTS@ .. id) == 0 then
  -- a finished job whose result is gone cannot answer: treat it as vanished
  if by_url then redis.call('DEL', KEYS[1]) end
  return id
end
local meta = ''
if flags == 'm' or flags == 'rm' then meta = redis.call('HGET', jk, 'meta') or '' end
-- The separator never occurs in a field (a NUL written by another program becomes '?');
-- origin and meta, which may hold any byte, come last, split by origin's length.
local function clean(s) return (string.gsub(s, '%z', '?')) end
return id .. '\0' .. clean(status) .. '\0' .. abandoned .. '\0' .. entry .. '\0' .. clean(kind)
  .. '\0' .. clean(value) .. '\0' .. clean(exc) .. '\0' .. clean(f[3] or '') .. '\0' .. #origin
  .. '\0' .. origin .. meta
"""


# Seconds past a started job's timeout after which, with no heartbeat evidence left at
# all, it reads abandoned: rq's longest heartbeat lifetime (30 s interval + 60 s) and room
# for the worker to record the failure it handles at the timeout.
TIMEOUT_GRACE = 120


def lookup_source(*, job: str, results: str, executions: str, wip: str, abandoned_ttl: int) -> str:
    """LOOKUP with rq's key prefixes and the abandoned mapping's TTL written in."""
    source = LOOKUP.replace("@ABANDONED_TTL@", str(int(abandoned_ttl)))
    return with_prefixes(source, job=job, results=results, executions=executions, wip=wip)


def with_prefixes(source: str, **prefixes: str) -> str:
    """A script with rq's key prefixes (``@JOB@`` ...) written in as Lua strings."""
    source = source.replace("@IS_ABANDONED@", IS_ABANDONED.strip("\n"))
    source = source.replace("@TIMEOUT_GRACE@", str(TIMEOUT_GRACE))
    for name, prefix in prefixes.items():
        source = source.replace(f"@{name.upper()}@", _lua_string(prefix))
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


# Read-only, so that a transaction WATCHing these keys is not disturbed by it; the
# caller writes what it decides (the enqueue, the mapping, the visitor's set) in MULTI.
# KEYS: [url key, queue key, visitor key (optional)]
# Returns {mapped (0/1), queue length, Redis time in seconds, active jobs of the visitor,
#          latest deadline among them, ids of the visitor's jobs that no longer count...}
# A visitor's job counts while its deadline has not passed and its hash says it is
# queued, running with a live heartbeat, or in any state rq may add later; it stops
# counting once it ended, expired from the queue, was deleted or its worker died.
ADMIT = r"""
@IS_ABANDONED@
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ended = {finished = true, failed = true, stopped = true, canceled = true}
local reply = {redis.call('EXISTS', KEYS[1]), redis.call('LLEN', KEYS[2]),
  math.floor(now), 0, 0}
if #KEYS > 2 then
  local entries = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    local id, deadline = entries[i], tonumber(entries[i + 1])
    local counts = deadline > now
    -- @RESERVATION@ .. id: a slot held for a job enqueued on commit, counted until its deadline
    if counts and string.sub(id, 1, #@RESERVATION@) ~= @RESERVATION@ then
      local f = redis.call('HMGET', @JOB@ .. id, 'status', 'origin')
      if not f[1] or ended[f[1]] then
        counts = false
      elseif f[1] == 'started' then
        counts = not is_abandoned(id, f[2] or '', now)
      end
    end
    if counts then
      reply[4] = reply[4] + 1
      if deadline > reply[5] then reply[5] = deadline end
    else
      reply[#reply + 1] = id
    end
  end
end
return reply
"""


def sha(source: str) -> bytes:
    return hashlib.sha1(source.encode()).hexdigest().encode()


SOURCES = {
    "settle": SETTLE,
    "forget": FORGET,
    "admit": with_prefixes(ADMIT, **rqlayout.PREFIXES, reservation=RESERVATION),
}
_SHAS = {name: sha(source) for name, source in SOURCES.items()}


def call(name: str, keys: list[str], args: list[Any]) -> Script:
    """The operation running script ``name`` (settle, forget, admit) on these keys."""
    return Script(_SHAS[name], SOURCES[name], (len(keys), *keys, *args))


@functools.cache
def lookup(abandoned_ttl: int) -> tuple[bytes, str]:
    """The lookup script's SHA and source for a ``FAILURE_TTL`` (written into it)."""
    source = lookup_source(**rqlayout.PREFIXES, abandoned_ttl=abandoned_ttl)
    return sha(source), source


def all_sources(abandoned_ttl: int) -> dict[str, str]:
    """Every script by name, the lookup first (``rqpoll doctor`` loads them all)."""
    return {"lookup": lookup(abandoned_ttl)[1], **SOURCES}
