#include "cache/redis/redis_pages.hpp"

#include <hiredis/hiredis.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <vector>

#include "observe/log.hpp"

namespace sluice::cache {
namespace {

struct context_deleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct reply_deleter {
  void operator()(void* r) const { freeReplyObject(r); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

bool parse_url(const std::string& url, std::string& host, int& port, int& db) {
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);  // credentials: not supported here
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  db = 0;
  if (slash != std::string::npos && slash + 1 < rest.size()) db = std::stoi(rest.substr(slash + 1));
  auto colon = hostport.rfind(':');
  host = hostport.substr(0, colon);
  port = 6379;
  if (colon != std::string::npos) {
    auto p = hostport.substr(colon + 1);
    if (std::from_chars(p.data(), p.data() + p.size(), port).ec != std::errc{}) return false;
  }
  return !host.empty();
}

class redis_pages final : public shared_pages {
 public:
  redis_pages(redis_pages_options o, std::string host, int port, int db)
      : o_(std::move(o)), host_(std::move(host)), port_(port), db_(db), slots_(o_.connections) {}

  std::optional<page> get(std::string_view key, std::int64_t version) override {
    std::optional<page> out;
    with_connection([&](redisContext* c) {
      auto k = redis_key(key, version);
      reply_ptr r(static_cast<redisReply*>(redisCommand(c, "GET %b", k.data(), k.size())));
      if (!r) return false;
      if (r->type == REDIS_REPLY_STRING) out = decode({r->str, r->len});
      return r->type != REDIS_REPLY_ERROR;
    });
    (out ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
    return out;
  }

  void put(std::string_view key, std::int64_t version, const page& p) override {
    with_connection([&](redisContext* c) {
      auto k = redis_key(key, version);
      std::string v = p.etag + '\n' + p.link + '\n' + p.body;
      reply_ptr r(static_cast<redisReply*>(redisCommand(c, "SET %b %b PX %lld", k.data(), k.size(),
                                                        v.data(), v.size(),
                                                        static_cast<long long>(o_.ttl.count()))));
      return r && r->type != REDIS_REPLY_ERROR;
    });
  }

  std::uint64_t hits() const override { return hits_.load(); }
  std::uint64_t misses() const override { return misses_.load(); }
  std::uint64_t errors() const override { return errors_.load(); }

 private:
  struct slot {
    std::mutex mu;  // guards conn
    context_ptr conn;
  };

  std::string redis_key(std::string_view key, std::int64_t version) const {
    std::string k = o_.name_space + ":page:" + std::to_string(version) + ":";
    k += key;
    return k;
  }

  static std::optional<page> decode(std::string_view v) {
    auto a = v.find('\n');
    if (a == std::string_view::npos) return std::nullopt;
    auto b = v.find('\n', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    return page{std::string(v.substr(b + 1)), std::string(v.substr(0, a)),
                std::string(v.substr(a + 1, b - a - 1))};
  }

  context_ptr connect() {
    timeval tv{static_cast<time_t>(o_.timeout.count() / 1000),
               static_cast<suseconds_t>((o_.timeout.count() % 1000) * 1000)};
    context_ptr c(redisConnectWithTimeout(host_.c_str(), port_, tv));
    if (!c || c->err) return nullptr;
    redisSetTimeout(c.get(), tv);
    if (db_ != 0) {
      reply_ptr r(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db_)));
      if (!r || r->type == REDIS_REPLY_ERROR) return nullptr;
    }
    return c;
  }

  // Runs fn on a connected slot; on failure drops the connection and skips
  // the shared cache for a while (fn returning false is a failure too).
  template <class Fn>
  void with_connection(Fn&& fn) {
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (now < skip_until_.load(std::memory_order_relaxed)) return;
    auto& s = slots_[next_.fetch_add(1, std::memory_order_relaxed) % slots_.size()];
    std::lock_guard lock(s.mu);
    if (!s.conn) s.conn = connect();
    if (s.conn && fn(s.conn.get()) && s.conn->err == 0) return;
    s.conn.reset();
    errors_.fetch_add(1, std::memory_order_relaxed);
    auto pause = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::seconds(1));
    if (skip_until_.exchange(now + pause.count()) < now) {
      observe::warn("shared page cache unavailable; serving from the store",
                    {{"cache", host_ + ":" + std::to_string(port_)}});
    }
  }

  const redis_pages_options o_;
  const std::string host_;
  const int port_, db_;
  std::vector<slot> slots_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::int64_t> skip_until_{0};
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, errors_{0};
};

}  // namespace

std::unique_ptr<shared_pages> make_redis_pages(const redis_pages_options& options) {
  std::string host;
  int port = 0, db = 0;
  if (!parse_url(options.url, host, port, db)) return nullptr;
  return std::make_unique<redis_pages>(options, std::move(host), port, db);
}

}  // namespace sluice::cache
