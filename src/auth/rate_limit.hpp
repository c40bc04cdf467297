#pragma once
// Per-principal rate limits: a token bucket per key (a principal id, or
// "ip:<address>" for unauthenticated routes), refilled at `rate` tokens per
// second up to one window's worth. A request costs what it carries: a POST of
// 1000 records costs 1000 tokens, a GET costs 1. A request that costs more
// than a whole bucket is let through only when the bucket is full and leaves
// it in debt, so the long-run rate holds and max_batch-sized POSTs still
// pass for a principal whose rate is below max_batch.
//
// Memory is bounded: at most `max_buckets` buckets, in shards, each shard
// dropping its least recently used bucket when full. A dropped bucket comes
// back full; the least recently used one is the nearest to full anyway.
//
// The answer carries what the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers-10 say (rate_limit_headers()).
//
// Thread safety: charge() may be called from any thread (a mutex per shard).

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::auth {

struct rate_policy {
  std::string name = "default";  // the policy's name in the headers
  double rate = 0;                // tokens (records) per second; 0 = unlimited
};

struct rate_decision {
  bool allowed = true;
  bool limited = false;     // a policy applies (rate > 0): send the headers
  std::string policy;       // its name
  std::uint64_t quota = 0;  // q: tokens per window (the bucket's size)
  std::uint64_t window_s = 1;      // w
  std::uint64_t remaining = 0;     // r: whole tokens left after this request
  std::uint64_t reset_s = 0;       // t: seconds until the bucket is full again (refused:
                                   //    until this request would be let through)
  std::uint64_t retry_after_s = 0; // refused only: == reset_s, at least 1
};

class rate_limiter {
 public:
  // Monotonic time in nanoseconds; tests inject their own.
  using clock_fn = std::function<std::int64_t()>;
  explicit rate_limiter(std::size_t max_buckets = 65536, clock_fn clock = {});

  // Takes `cost` tokens from `key`'s bucket under `policy`, or refuses and
  // takes nothing. rate 0: always allowed, limited = false, nothing kept.
  rate_decision charge(std::string_view key, const rate_policy& policy, std::uint64_t cost);
  // The decision charge() would make, taking nothing (a bucket not kept yet
  // is kept from now on, full). Lets a caller refuse before doing work whose
  // outcome decides whether to charge (a failed authentication).
  rate_decision check(std::string_view key, const rate_policy& policy, std::uint64_t cost);

  std::size_t buckets() const;  // how many are kept now

 private:
  struct bucket {
    std::string key;
    double tokens = 0;
    std::int64_t at_ns = 0;  // when `tokens` was last brought up to date
  };
  struct shard {
    mutable std::mutex mu;
    std::list<bucket> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<bucket>::iterator> index;  // views into lru
  };
  shard& shard_for(std::string_view key);
  rate_decision decide(std::string_view key, const rate_policy& policy, std::uint64_t cost, bool take);

  std::size_t per_shard_;
  clock_fn clock_;
  std::vector<std::unique_ptr<shard>> shards_;
};

// The two response fields for a limited decision (draft-10 §3, §4), e.g.
//   RateLimit-Policy: "default";q=100;w=1;sluice-unit="records"
//   RateLimit: "default";r=0;t=1
// Records are no registered quota unit ("qu" would claim requests), so the
// unit is a vendor-prefixed parameter, as the draft asks of extensions.
struct rate_limit_fields {
  std::string policy;
  std::string limit;
};
rate_limit_fields rate_limit_headers(const rate_decision& d);

}  // namespace sluice::auth
