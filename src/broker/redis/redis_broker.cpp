// The Redis broker: publishes go to the publisher thread (publisher.cpp);
// every other call borrows a connection from the pool (pool.cpp) and runs one
// of the scripts of scripts.cpp, or a plain command.
//
// A pooled connection that went stale while idle (e.g. across a server
// restart) fails on first use; such calls are run once more on a new
// connection. That is safe for every call here: leases, acks and releases
// check their state server-side, and a lease whose reply was lost is only
// delivered again after the visibility timeout.

#include "broker/redis/redis_broker.hpp"

#include <unistd.h>

#include <atomic>
#include <map>
#include <random>

#include "broker/redis/codec.hpp"
#include "broker/redis/pool.hpp"
#include "broker/redis/publisher.hpp"

namespace sluice::broker {
namespace {

using redis::connection;
using redis::reply_ptr;
using clock = std::chrono::steady_clock;

// A consumer name unique to this client: host, process and a random part.
std::string make_consumer_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", rd());
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + suffix;
}

// The error a failed reply means; NOGROUP: the group (subscription) is gone.
std::error_code error_of(const redisReply* r) {
  if (r != nullptr && r->type == REDIS_REPLY_ERROR &&
      redis::text_of(r).find("NOGROUP") != std::string_view::npos) {
    return errc::unknown_subscription;
  }
  // NOAUTH/WRONGPASS/NOPERM: the credentials or ACL, not the moment.
  if (redis::error_starts_with(r, "NOAUTH") || redis::error_starts_with(r, "WRONGPASS") ||
      redis::error_starts_with(r, "NOPERM")) {
    return errc::refused;
  }
  return errc::unavailable;
}

std::vector<std::string_view> views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

// Deliveries from [id, [field, value…], count] or [id, [field, value…]] entries.
void append_deliveries(const redisReply* entries, std::string_view subscription,
                       const std::string& consumer, std::vector<delivery>& out) {
  if (!redis::is_array(entries)) return;
  for (std::size_t i = 0; i < entries->elements; ++i) {
    const redisReply* e = entries->element[i];
    if (!redis::is_array(e) || e->elements < 2) continue;
    auto msg = redis::decode_fields(e->element[1]);
    if (!msg) continue;  // not written by Sluice: never acked, so it stays pending
    std::uint32_t count = 1;
    if (e->elements >= 3 && e->element[2]->type == REDIS_REPLY_INTEGER) {
      count = static_cast<std::uint32_t>(std::clamp<long long>(e->element[2]->integer, 1, UINT32_MAX));
    }
    delivery d;
    d.msg = std::move(*msg);
    d.subscription = std::string(subscription);
    d.attempt = count;
    d.receipt = redis::encode_receipt({std::string(redis::text_of(e->element[0])), consumer, count});
    out.push_back(std::move(d));
  }
}

class redis_broker final : public broker {
 public:
  redis_broker(const redis_broker_options& o, const redis::endpoint& where)
      : options_(o),
        keys_{o.name_space},
        consumer_(make_consumer_name()),
        pool_(where, o.connect_timeout, o.io_timeout, o.max_idle_connections),
        publisher_({where, keys_, o.max_pending, o.max_group, o.dedup_window, o.connect_timeout,
                    o.io_timeout, o.retry_min, o.retry_max, o.trim_interval}) {}

  ~redis_broker() override { close(); }

  std::error_code declare(std::span<const topology> subscriptions) override {
    return with_connection([&](connection& c) -> std::error_code {
      if (options_.require_aof) {
        auto info = c.command({"INFO", "persistence"});
        if (!info || info->type != REDIS_REPLY_STRING) return error_of(info.get());
        if (redis::text_of(info.get()).find("aof_enabled:1") == std::string_view::npos) {
          return errc::refused;  // acked messages would not be durable: the server's configuration
        }
      }
      const auto registry = keys_.registry();
      for (const auto& t : subscriptions) {
        // An existing subscription keeps its topic.
        auto set = c.command({"HSETNX", registry, t.subscription, t.topic});
        if (redis::is_error(set.get())) return error_of(set.get());
        auto topic = c.command({"HGET", registry, t.subscription});
        if (!topic || topic->type != REDIS_REPLY_STRING) return error_of(topic.get());
        auto stream = keys_.stream(redis::text_of(topic.get()));
        // "$": a subscription created now gets the messages published from now on.
        auto created = c.command(
            {"XGROUP", "CREATE", stream, keys_.group(t.subscription), "$", "MKSTREAM"});
        if (redis::is_error(created.get()) && !redis::error_starts_with(created.get(), "BUSYGROUP")) {
          return error_of(created.get());
        }
        std::lock_guard lock(mu_);
        streams_[t.subscription] = stream;
      }
      return {};
    });
  }

  void publish(std::vector<message> messages, publish_callback done) override {
    publisher_.submit(std::move(messages), std::move(done));
  }

  result<std::vector<delivery>> pull(std::string_view subscription, std::size_t max,
                                     std::chrono::milliseconds wait) override {
    if (closing_) return errc::closed;
    if (max == 0) return std::vector<delivery>{};
    const auto deadline = clock::now() + wait;
    const auto group = keys_.group(subscription);
    const auto count = std::to_string(max);
    const auto idle = std::to_string(options_.visibility_timeout.count());
    for (;;) {
      auto stream = stream_of(subscription);
      if (!stream) return closing_ ? result<std::vector<delivery>>(std::vector<delivery>{})
                                   : result<std::vector<delivery>>(stream.error());
      std::vector<delivery> out;
      auto ec = with_connection([&](connection& c) -> std::error_code {
        std::string_view keys[] = {*stream};
        std::string_view args[] = {group, consumer_, idle, count};
        auto r = c.eval(redis::script::lease, keys, args);
        if (!redis::is_array(r.get())) return error_of(r.get());
        append_deliveries(r.get(), subscription, consumer_, out);
        if (!out.empty()) return {};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) return {};
        // Wait for new entries; leases that expire meanwhile are taken by the
        // next lease script, so the wait is cut into slices.
        return block(c, *stream, group, count, std::min(left, k_block_slice), subscription, out);
      });
      if (closing_) return out.empty() ? result<std::vector<delivery>>(std::vector<delivery>{})
                                       : result<std::vector<delivery>>(std::move(out));
      if (ec) {
        if (ec == errc::unknown_subscription) forget(subscription);
        return ec;
      }
      if (!out.empty() || clock::now() >= deadline) return out;
    }
  }

  std::error_code ack(std::span<const delivery> deliveries) override {
    return for_each_subscription(deliveries, [&](const std::string& stream, const std::string& group,
                                                 const std::vector<redis::lease>& leases,
                                                 connection& c) -> std::error_code {
      std::vector<std::string> args = {group};
      for (const auto& l : leases) args.insert(args.end(), {l.entry_id, l.consumer, std::to_string(l.count)});
      std::string_view keys[] = {stream};
      auto r = c.eval(redis::script::ack, keys, views(args));
      if (redis::is_error(r.get())) return error_of(r.get());
      maybe_trim(c, stream);
      return {};
    });
  }

  std::error_code release(std::span<const delivery> deliveries, std::chrono::milliseconds delay,
                          bool count_attempt) override {
    // XAUTOCLAIM takes an entry idle for the visibility timeout.
    const auto idle = std::max<std::int64_t>(0, (options_.visibility_timeout - delay).count());
    return for_each_subscription(deliveries, [&](const std::string& stream, const std::string& group,
                                                 const std::vector<redis::lease>& leases,
                                                 connection& c) -> std::error_code {
      std::vector<std::string> args = {group, std::to_string(idle)};
      for (const auto& l : leases) {
        // XAUTOCLAIM adds one when it hands the entry out again.
        const auto next = count_attempt ? l.count : l.count - std::min<std::uint32_t>(l.count, 1);
        args.insert(args.end(), {l.entry_id, l.consumer, std::to_string(l.count), std::to_string(next)});
      }
      std::string_view keys[] = {stream};
      auto r = c.eval(redis::script::release, keys, views(args));
      return redis::is_error(r.get()) ? error_of(r.get()) : std::error_code();
    });
  }

  result<std::uint64_t> depth(std::string_view subscription) override {
    auto stream = stream_of(subscription);
    if (!stream) return stream.error();
    std::uint64_t n = 0;
    const auto group = keys_.group(subscription);
    auto ec = with_connection([&](connection& c) -> std::error_code {
      std::string_view keys[] = {*stream};
      std::string_view args[] = {group};
      auto r = c.eval(redis::script::depth, keys, args);
      if (!r || r->type != REDIS_REPLY_INTEGER) return error_of(r.get());
      if (r->integer < 0) return errc::unknown_subscription;
      n = static_cast<std::uint64_t>(r->integer);
      return {};
    });
    if (ec) return ec;
    return n;
  }

  result<std::optional<bool>> holds(std::string_view message_id) override {
    std::optional<bool> held;
    auto ec = with_connection([&](connection& c) -> std::error_code {
      auto r = c.command({"EXISTS", keys_.dedup(message_id)});
      if (!r || r->type != REDIS_REPLY_INTEGER) return error_of(r.get());
      // Only ids marked `deduplicate` leave a trace outside the streams.
      if (r->integer > 0) held = true;
      return {};
    });
    if (ec) return ec;
    return held;
  }

  std::error_code ping() override {
    if (closing_) return errc::closed;
    if (!publisher_.reachable()) return errc::unavailable;
    return with_connection([](connection& c) -> std::error_code {
      auto r = c.command({"PING"});
      return redis::text_of(r.get()) == "PONG" ? std::error_code() : error_of(r.get());
    });
  }

  void close() override {
    if (closing_.exchange(true)) return;
    publisher_.close();  // completes what was accepted
    pool_.close();       // wakes blocked pulls
  }

 private:
  static constexpr std::chrono::milliseconds k_block_slice{500};

  // XREADGROUP … BLOCK on `c`, interruptible by close().
  std::error_code block(connection& c, const std::string& stream, const std::string& group,
                        const std::string& count, std::chrono::milliseconds wait,
                        std::string_view subscription, std::vector<delivery>& out) {
    if (!pool_.enter_blocking(&c)) return {};
    c.set_timeout(wait + c.io_timeout());
    auto ms = std::to_string(std::max<std::int64_t>(1, wait.count()));
    auto r = c.command({"XREADGROUP", "GROUP", group, consumer_, "COUNT", count, "BLOCK", ms,
                        "STREAMS", stream, ">"});
    pool_.leave_blocking(&c);
    if (!r) return errc::unavailable;
    if (r->type == REDIS_REPLY_NIL) return {};  // nothing arrived in time
    if (!redis::is_array(r.get())) return error_of(r.get());
    c.set_timeout(c.io_timeout());
    // [[stream, [[id, [field, value…]]…]]]
    for (std::size_t i = 0; i < r->elements; ++i) {
      const redisReply* s = r->element[i];
      if (redis::is_array(s) && s->elements == 2) {
        append_deliveries(s->element[1], subscription, consumer_, out);
      }
    }
    return {};
  }

  // Runs `f` on a pooled connection; once more on a new one when a reused
  // connection turned out broken.
  template <class F>
  std::error_code with_connection(F f) {
    auto h = pool_.acquire();
    if (!h) return h.error();
    auto ec = f(**h);
    if (!ec || !(*h)->broken() || !h->reused() || closing_) return ec;
    auto fresh = pool_.acquire_fresh();
    if (!fresh) return fresh.error();
    return f(**fresh);
  }

  // Groups deliveries by subscription and runs `f` for each, stopping at the
  // first error. Receipts not made here cannot match a lease: skipped.
  template <class F>
  std::error_code for_each_subscription(std::span<const delivery> deliveries, F f) {
    if (closing_) return errc::closed;
    std::map<std::string, std::vector<redis::lease>> by_sub;
    for (const auto& d : deliveries) {
      if (auto l = redis::decode_receipt(d.receipt)) by_sub[d.subscription].push_back(std::move(*l));
    }
    for (const auto& [sub, leases] : by_sub) {
      auto stream = stream_of(sub);
      if (!stream) return stream.error();
      const auto group = keys_.group(sub);
      auto ec = with_connection(
          [&, &leases = leases](connection& c) { return f(*stream, group, leases, c); });
      if (ec) return ec;
    }
    return {};
  }

  // The stream of a subscription, from the cache or the registry hash.
  result<std::string> stream_of(std::string_view subscription) {
    {
      std::lock_guard lock(mu_);
      if (auto it = streams_.find(subscription); it != streams_.end()) return it->second;
    }
    std::string stream;
    auto ec = with_connection([&](connection& c) -> std::error_code {
      auto r = c.command({"HGET", keys_.registry(), subscription});
      if (r && r->type == REDIS_REPLY_NIL) return errc::unknown_subscription;
      if (!r || r->type != REDIS_REPLY_STRING) return error_of(r.get());
      stream = keys_.stream(redis::text_of(r.get()));
      return {};
    });
    if (ec) return ec;
    std::lock_guard lock(mu_);
    streams_.emplace(std::string(subscription), stream);
    return stream;
  }

  void forget(std::string_view subscription) {
    std::lock_guard lock(mu_);
    if (auto it = streams_.find(subscription); it != streams_.end()) streams_.erase(it);
  }

  // After acks: drop what every group acked, at most once per trim_interval.
  void maybe_trim(connection& c, const std::string& stream) {
    const auto now = clock::now();
    {
      std::lock_guard lock(mu_);
      auto& next = next_trim_[stream];
      if (now < next) return;
      next = now + options_.trim_interval;
    }
    std::string_view keys[] = {stream};
    (void)c.eval(redis::script::trim, keys, {});  // best effort
  }

  const redis_broker_options options_;
  const redis::names keys_;
  const std::string consumer_;
  std::atomic<bool> closing_{false};

  std::mutex mu_;  // guards streams_ and next_trim_
  std::map<std::string, std::string, std::less<>> streams_;  // subscription → stream key
  std::map<std::string, clock::time_point> next_trim_;

  redis::pool pool_;
  redis::publisher publisher_;  // last: its thread starts after the rest exists
};

}  // namespace

result<std::unique_ptr<broker>> make_redis_broker(const redis_broker_options& options) {
  auto where = redis::parse_url(options.url);
  // hiredis parses no URLs; the shared parser's words say what it takes.
  if (!where) return {errc::unavailable, make_error_code(sluice::redis::errc::bad_url).message()};
  if (!options.password.empty()) where->password = options.password;
  return std::unique_ptr<broker>(std::make_unique<redis_broker>(options, *where));
}

}  // namespace sluice::broker
