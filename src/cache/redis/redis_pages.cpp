#include "cache/redis/redis_pages.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "core/backoff.hpp"
#include "observe/log.hpp"
#include "redis/connection.hpp"

namespace sluice::cache {
namespace {

using sluice::redis::connection;
using sluice::redis::endpoint;

class redis_pages final : public shared_pages {
 public:
  redis_pages(redis_pages_options o, endpoint where)
      : o_(std::move(o)),
        where_(std::move(where)),
        slots_(std::max(1u, o_.connections)),
        backoff_(o_.retry_min, o_.retry_max) {}

  std::optional<page> get(std::string_view key, std::int64_t version) override {
    std::optional<page> out;
    with_connection([&](connection& c) {
      auto k = redis_key(key, version);
      auto r = c.command({"GET", k});
      if (!r) return false;
      if (r->type == REDIS_REPLY_STRING) out = decode(sluice::redis::text_of(r.get()));
      return !sluice::redis::is_error(r.get());
    });
    (out ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
    return out;
  }

  void put(std::string_view key, std::int64_t version, const page& p) override {
    with_connection([&](connection& c) {
      auto k = redis_key(key, version);
      // A counted page leads with its Content-Range ("range:…" cannot be
      // an ETag, which starts with a quote); others keep the first format.
      std::string v = p.content_range.empty() ? std::string() : "range:" + p.content_range + '\n';
      v += p.etag + '\n' + p.link + '\n' + p.body;
      auto ttl = std::to_string(o_.ttl.count());
      auto r = c.command({"SET", k, v, "PX", ttl});
      return !sluice::redis::is_error(r.get());
    });
  }

  std::uint64_t hits() const override { return hits_.load(); }
  std::uint64_t misses() const override { return misses_.load(); }
  std::uint64_t errors() const override { return errors_.load(); }

 private:
  struct slot {
    std::mutex mu;  // guards conn
    std::optional<connection> conn;
  };

  std::string redis_key(std::string_view key, std::int64_t version) const {
    std::string k = o_.name_space + ":page:" + std::to_string(version) + ":";
    k += key;
    return k;
  }

  static std::optional<page> decode(std::string_view v) {
    std::string content_range;
    if (v.starts_with("range:")) {
      auto end = v.find('\n');
      if (end == std::string_view::npos) return std::nullopt;
      content_range = v.substr(6, end - 6);
      v.remove_prefix(end + 1);
    }
    auto a = v.find('\n');
    if (a == std::string_view::npos) return std::nullopt;
    auto b = v.find('\n', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    return page{std::string(v.substr(b + 1)), std::string(v.substr(0, a)),
                std::string(v.substr(a + 1, b - a - 1)), std::move(content_range)};
  }

  // Runs fn on a connected slot; on failure drops the connection and skips
  // the shared cache for the next backoff (fn returning false is a failure too).
  template <class Fn>
  void with_connection(Fn&& fn) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (now < skip_until_.load(std::memory_order_relaxed)) return;
    auto& s = slots_[next_.fetch_add(1, std::memory_order_relaxed) % slots_.size()];
    std::lock_guard lock(s.mu);
    std::string why;
    if (!s.conn) {
      auto c = connection::open(where_, o_.timeout, o_.timeout, &why);
      if (c) s.conn.emplace(std::move(*c));
    }
    if (s.conn && fn(*s.conn) && !s.conn->broken()) {
      if (down_.load(std::memory_order_relaxed)) recovered();
      return;
    }
    if (why.empty()) why = "a command failed on " + where_.host + ":" + std::to_string(where_.port);
    s.conn.reset();
    errors_.fetch_add(1, std::memory_order_relaxed);
    failed(now, why);
  }

  void failed(std::int64_t now, const std::string& why) {
    std::lock_guard lock(backoff_mu_);
    const auto pause = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        backoff_.next());
    skip_until_.store(now + pause.count(), std::memory_order_relaxed);
    if (!down_.exchange(true)) {
      observe::warn("shared page cache unavailable; serving from the store",
                    {{"cache", where_.host + ":" + std::to_string(where_.port)}, {"reason", why}});
    }
  }

  void recovered() {
    std::lock_guard lock(backoff_mu_);
    backoff_.reset();
    if (down_.exchange(false)) {
      observe::info("shared page cache available again",
                    {{"cache", where_.host + ":" + std::to_string(where_.port)}});
    }
  }

  const redis_pages_options o_;
  const endpoint where_;
  std::vector<slot> slots_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::int64_t> skip_until_{0};
  std::atomic<bool> down_{false};
  std::mutex backoff_mu_;  // guards backoff_
  backoff backoff_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, errors_{0};
};

}  // namespace

result<std::unique_ptr<shared_pages>> make_redis_pages(const redis_pages_options& options) {
  auto where = sluice::redis::parse_url(options.url);
  if (!where) return sluice::redis::errc::bad_url;
  if (!options.password.empty()) where->password = options.password;
  return std::unique_ptr<shared_pages>(std::make_unique<redis_pages>(options, std::move(*where)));
}

}  // namespace sluice::cache
