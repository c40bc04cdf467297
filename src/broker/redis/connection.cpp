#include "broker/redis/connection.hpp"

#include <sys/socket.h>

#include <charconv>

#include "broker/broker.hpp"

namespace sluice::broker::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// %XX escapes in the user and password of a URL.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc() || p != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

bool parse_int(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<endpoint> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  endpoint e;
  if (auto at = url.rfind('@'); at != std::string_view::npos) {
    auto creds = url.substr(0, at);
    url.remove_prefix(at + 1);
    auto colon = creds.find(':');
    auto user = percent_decode(creds.substr(0, colon));
    auto pass = percent_decode(colon == std::string_view::npos ? "" : creds.substr(colon + 1));
    if (!user || !pass) return std::nullopt;
    e.user = *user;
    e.password = *pass;
    // redis://:password@host is the classic password-only form.
    if (colon == std::string_view::npos) std::swap(e.user, e.password);
  }
  if (auto slash = url.find('/'); slash != std::string_view::npos) {
    auto db = url.substr(slash + 1);
    url = url.substr(0, slash);
    if (!db.empty() && (!parse_int(db, e.db) || e.db < 0)) return std::nullopt;
  }
  if (auto colon = url.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(url.substr(colon + 1), e.port) || e.port <= 0 || e.port > 65535) {
      return std::nullopt;
    }
    url = url.substr(0, colon);
  }
  if (url.empty()) return std::nullopt;
  e.host = std::string(url);
  return e;
}

bool is_error(const redisReply* r) { return r == nullptr || r->type == REDIS_REPLY_ERROR; }

bool error_starts_with(const redisReply* r, std::string_view prefix) {
  return r != nullptr && r->type == REDIS_REPLY_ERROR && text_of(r).substr(0, prefix.size()) == prefix;
}

std::string_view text_of(const redisReply* r) {
  if (r == nullptr || r->str == nullptr) return {};
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
      r->type != REDIS_REPLY_ERROR) {
    return {};
  }
  return {r->str, r->len};
}

bool is_array(const redisReply* r) { return r != nullptr && r->type == REDIS_REPLY_ARRAY; }

result<std::unique_ptr<connection>> connection::open(const endpoint& where,
                                                     std::chrono::milliseconds connect_timeout,
                                                     std::chrono::milliseconds io_timeout) {
  std::unique_ptr<redisContext, context_deleter> ctx(
      redisConnectWithTimeout(where.host.c_str(), where.port, to_timeval(connect_timeout)));
  if (!ctx || ctx->err != 0) return errc::unavailable;
  if (redisSetTimeout(ctx.get(), to_timeval(io_timeout)) != REDIS_OK) return errc::unavailable;
  redisEnableKeepAlive(ctx.get());
  std::unique_ptr<connection> c(new connection(std::move(ctx), io_timeout));
  if (!where.password.empty()) {
    auto r = where.user.empty() ? c->command({"AUTH", where.password})
                                : c->command({"AUTH", where.user, where.password});
    if (is_error(r.get())) return errc::unavailable;
  }
  if (where.db != 0) {
    auto db = std::to_string(where.db);
    if (is_error(c->command({"SELECT", db}).get())) return errc::unavailable;
  }
  if (!c->load_scripts()) return errc::unavailable;
  return c;
}

bool connection::load_scripts() {
  for (std::size_t i = 0; i < k_script_count; ++i) {
    std::string_view args[] = {"SCRIPT", "LOAD", source_of(static_cast<script>(i))};
    append(args);
  }
  for (std::size_t i = 0; i < k_script_count; ++i) {
    auto r = get_reply();
    if (!r || r->type != REDIS_REPLY_STRING) return false;
    shas_[i] = std::string(text_of(r.get()));
  }
  return true;
}

reply_ptr connection::command(std::span<const std::string_view> args) {
  append(args);
  return get_reply();
}

void connection::append(std::span<const std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()), argv.data(),
                             lens.data()) != REDIS_OK) {
    broken_ = true;
  }
}

reply_ptr connection::get_reply() {
  if (broken()) return nullptr;
  void* r = nullptr;
  if (redisGetReply(ctx_.get(), &r) != REDIS_OK || r == nullptr) {
    broken_ = true;
    return nullptr;
  }
  return reply_ptr(static_cast<redisReply*>(r));
}

std::vector<std::string_view> connection::eval_args(script s,
                                                    std::span<const std::string_view> keys,
                                                    std::span<const std::string_view> args,
                                                    std::string& numkeys) const {
  numkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(shas_[static_cast<std::size_t>(s)]);
  argv.push_back(numkeys);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

void connection::append_eval(script s, std::span<const std::string_view> keys,
                             std::span<const std::string_view> args) {
  std::string numkeys;
  append(eval_args(s, keys, args, numkeys));
}

reply_ptr connection::eval(script s, std::span<const std::string_view> keys,
                           std::span<const std::string_view> args) {
  append_eval(s, keys, args);
  auto r = get_reply();
  // SCRIPT FLUSH (or a failover to a server without them): load and retry once.
  if (error_starts_with(r.get(), "NOSCRIPT") && load_scripts()) {
    append_eval(s, keys, args);
    r = get_reply();
  }
  return r;
}

void connection::set_timeout(std::chrono::milliseconds t) {
  if (redisSetTimeout(ctx_.get(), to_timeval(t)) != REDIS_OK) broken_ = true;
}

void connection::interrupt() { ::shutdown(ctx_->fd, SHUT_RDWR); }

}  // namespace sluice::broker::redis
