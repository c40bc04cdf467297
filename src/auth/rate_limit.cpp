#include "auth/rate_limit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace sluice::auth {
namespace {

constexpr std::size_t k_shards = 16;
// Float slack: a bucket refilled to 4.999999999 after exactly one second holds 5.
constexpr double k_epsilon = 1e-9;

std::int64_t steady_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

// w: one second, or as many as make a whole token for rates below 1/s.
std::uint64_t window_of(double rate) {
  return rate >= 1 ? 1 : static_cast<std::uint64_t>(std::ceil(1 / rate));
}

std::uint64_t ceil_seconds(double tokens, double rate) {
  return tokens <= k_epsilon ? 0 : static_cast<std::uint64_t>(std::ceil(tokens / rate - k_epsilon));
}

// An sf-string (RFC 9651 §3.3.3): printable ASCII, '"' and '\' escaped.
std::string sf_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

rate_limiter::rate_limiter(std::size_t max_buckets, clock_fn clock)
    : per_shard_(std::max<std::size_t>(1, max_buckets / k_shards)),
      clock_(clock ? std::move(clock) : clock_fn(steady_ns)) {
  for (std::size_t i = 0; i < k_shards; ++i) shards_.push_back(std::make_unique<shard>());
}

rate_limiter::shard& rate_limiter::shard_for(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % k_shards];
}

rate_decision rate_limiter::charge(std::string_view key, const rate_policy& policy,
                                   std::uint64_t cost) {
  return decide(key, policy, cost, true);
}

rate_decision rate_limiter::check(std::string_view key, const rate_policy& policy,
                                  std::uint64_t cost) {
  return decide(key, policy, cost, false);
}

rate_decision rate_limiter::decide(std::string_view key, const rate_policy& policy,
                                   std::uint64_t cost, bool take) {
  rate_decision d;
  if (!(policy.rate > 0)) return d;
  const double rate = policy.rate;
  d.limited = true;
  d.policy = policy.name;
  d.window_s = window_of(rate);
  const double capacity = rate * static_cast<double>(d.window_s);
  d.quota = static_cast<std::uint64_t>(std::floor(capacity + k_epsilon));
  const auto want = static_cast<double>(cost);
  const auto now = clock_();

  auto& s = shard_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.index.find(key);
  if (it == s.index.end()) {
    s.lru.push_front(bucket{std::string(key), capacity, now});
    s.index.emplace(s.lru.front().key, s.lru.begin());
    if (s.lru.size() > per_shard_) {
      s.index.erase(s.lru.back().key);
      s.lru.pop_back();
    }
  } else {
    s.lru.splice(s.lru.begin(), s.lru, it->second);
  }
  auto& b = s.lru.front();
  if (now > b.at_ns)
    b.tokens = std::min(capacity, b.tokens + rate * static_cast<double>(now - b.at_ns) / 1e9);
  else
    b.tokens = std::min(capacity, b.tokens);  // the policy's rate may have been lowered
  b.at_ns = std::max(b.at_ns, now);

  // More than a bucket holds: only from a full bucket, which it leaves in debt.
  const double needed = std::min(want, capacity);
  d.allowed = b.tokens + k_epsilon >= needed;
  if (d.allowed) {
    if (take) b.tokens -= want;
    d.reset_s = ceil_seconds(capacity - b.tokens, rate);
  } else {
    d.reset_s = std::max<std::uint64_t>(1, ceil_seconds(needed - b.tokens, rate));
    d.retry_after_s = d.reset_s;
  }
  d.remaining = b.tokens > 0 ? static_cast<std::uint64_t>(std::floor(b.tokens + k_epsilon)) : 0;
  return d;
}

std::size_t rate_limiter::buckets() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->lru.size();
  }
  return n;
}

rate_limit_fields rate_limit_headers(const rate_decision& d) {
  const auto name = sf_string(d.policy);
  rate_limit_fields f;
  f.policy = name + ";q=" + std::to_string(d.quota) + ";w=" + std::to_string(d.window_s) +
             ";sluice-unit=\"records\"";
  f.limit = name + ";r=" + std::to_string(d.remaining) + ";t=" + std::to_string(d.reset_s);
  return f;
}

}  // namespace sluice::auth
