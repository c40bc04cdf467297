#include "broker/redis/scripts.hpp"

#include <string>

namespace sluice::broker::redis {
namespace {

// Checks every dedup key before writing anything: a conflict leaves no trace.
// The dedup key's value is the message's identity: "f:" + a hash of the
// stream (namespace + topic) and the request fingerprint, or, without a
// fingerprint, a hash of the stream and the body (the value written before
// fingerprints existed, so keys already set keep their meaning).
constexpr std::string_view k_publish = R"lua(
local plan = {}
local a = 2
for i = 1, #KEYS / 2 do
  local fingerprint = ARGV[a + 1]
  local n = tonumber(ARGV[a + 2])
  local m = {stream = KEYS[2 * i - 1], dkey = KEYS[2 * i], first = a + 3, last = a + 2 + n}
  if ARGV[a] == '1' then
    if fingerprint ~= '' then
      m.hash = 'f:' .. redis.sha1hex(m.stream .. '\n' .. fingerprint)
    else
      local body = ''
      for j = m.first, m.last, 2 do
        if ARGV[j] == 'body' then body = ARGV[j + 1] end
      end
      m.hash = redis.sha1hex(m.stream .. '\n' .. body)
    end
    local held = redis.call('GET', m.dkey)
    if held then
      if held ~= m.hash then
        return redis.error_reply('CONFLICT message id reused by another request')
      end
      m.skip = true
    end
  end
  plan[i] = m
  a = m.last + 1
end
local added = 0
for _, m in ipairs(plan) do
  if not m.skip then
    if m.hash then redis.call('SET', m.dkey, m.hash, 'PX', ARGV[1]) end
    redis.call('XADD', m.stream, '*', unpack(ARGV, m.first, m.last))
    added = added + 1
  end
end
return added
)lua";

// Expired leases first (oldest first), then new entries. XAUTOCLAIM raises
// the delivery count of what it claims; a new entry's count is 1.
constexpr std::string_view k_lease = R"lua(
local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local count = tonumber(ARGV[4])
local out = {}
local claimed = redis.call('XAUTOCLAIM', stream, group, consumer, ARGV[3], '0-0', 'COUNT', count)
for _, e in ipairs(claimed[2]) do
  if type(e) == 'table' and type(e[2]) == 'table' then
    local p = redis.call('XPENDING', stream, group, e[1], e[1], 1)
    out[#out + 1] = {e[1], e[2], p[1][4]}
  end
end
if #out < count then
  local fresh = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count - #out,
                           'STREAMS', stream, '>')
  if fresh then
    for _, e in ipairs(fresh[1][2]) do out[#out + 1] = {e[1], e[2], 1} end
  end
end
return out
)lua";

// A lease is identified by (consumer, delivery count): a re-lease by another
// consumer, or by XAUTOCLAIM, changes one of them. The start of every script
// that acts on the leases the caller holds (ack, release): each_leased(first,
// width, act) calls act(i) for each group of `width` arguments from ARGV[first]
// (id, consumer, times delivered, …) whose entry is still leased as given, and
// returns the sum of what act returned.
constexpr std::string_view k_each_leased = R"lua(
local function each_leased(first, width, act)
  local n = 0
  for i = first, #ARGV, width do
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
    if p[1] and p[1][2] == ARGV[i + 1] and p[1][4] == tonumber(ARGV[i + 2]) then
      n = n + act(i)
    end
  end
  return n
end
)lua";

constexpr std::string_view k_ack = R"lua(
return each_leased(2, 3, function(i) return redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) end)
)lua";

// XCLAIM to the same consumer with IDLE: the entry looks delivered `idle` ms
// ago, so XAUTOCLAIM (min idle = visibility timeout) takes it after the rest.
constexpr std::string_view k_release = R"lua(
return each_leased(3, 4, function(i)
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[i + 1], 0, ARGV[i], 'IDLE', ARGV[2],
             'RETRYCOUNT', ARGV[i + 3], 'JUSTID')
  return 1
end)
)lua";

// Entries at or below a group's last-delivered-id that it no longer has
// pending were acked by it; entries above it are still to come.
constexpr std::string_view k_trim = R"lua(
local function parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function before(a, b)
  local am, as = parts(a)
  local bm, bs = parts(b)
  return am < bm or (am == bm and as < bs)
end
local keep = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = {}
  for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
  local first
  local p = redis.call('XPENDING', KEYS[1], f['name'])
  if p[1] > 0 then
    first = p[2]
  else
    local ms, seq = parts(f['last-delivered-id'])
    first = string.format('%d-%d', ms, seq + 1)
  end
  if keep == nil or before(first, keep) then keep = first end
end
if keep == nil then return redis.call('XTRIM', KEYS[1], 'MAXLEN', 0) end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', keep)
)lua";

// `lag` (Redis 7) is nil only after XDELs inside the group's range, which this
// broker never does; counting the rest is the fallback.
constexpr std::string_view k_depth = R"lua(
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if groups['err'] then return -1 end
for _, g in ipairs(groups) do
  local f = {}
  for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
  if f['name'] == ARGV[1] then
    local lag = f['lag']
    if type(lag) ~= 'number' then
      lag = #redis.call('XRANGE', KEYS[1], '(' .. f['last-delivered-id'], '+')
    end
    return f['pending'] + lag
  end
end
return -1
)lua";

}  // namespace

std::string_view source_of(script s) {
  // Joined once (source_of runs at each connection's SCRIPT LOAD).
  static const std::string ack = std::string(k_each_leased).append(k_ack);
  static const std::string release = std::string(k_each_leased).append(k_release);
  switch (s) {
    case script::publish: return k_publish;
    case script::lease: return k_lease;
    case script::ack: return ack;
    case script::release: return release;
    case script::trim: return k_trim;
    case script::depth: return k_depth;
  }
  return {};
}

}  // namespace sluice::broker::redis
