#include "redis/connection.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <vector>

#include "core/error_category.hpp"
#include "core/timeval.hpp"

namespace sluice::redis {
namespace {

const char* describe(errc e) {
  switch (e) {
    case errc::connect_failed: return "cannot connect to Redis";
    case errc::auth_refused: return "Redis refused the credentials";
    case errc::select_refused: return "Redis refused to select the database";
    case errc::broken: return "the Redis connection broke";
    case errc::bad_url: return "not a valid redis://[user:password@]host[:port][/db] URL";
  }
  return "unknown Redis error";
}

std::string address(const endpoint& where) {
  return where.host + ":" + std::to_string(where.port);
}

}  // namespace

const std::error_category& redis_category() {
  static const enum_category<errc> c("sluice.redis", describe);
  return c;
}

std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), redis_category()};
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

result<connection> connection::open(const endpoint& where,
                                    std::chrono::milliseconds connect_timeout,
                                    std::chrono::milliseconds io_timeout, std::string* why) {
  auto fail = [&](errc e, std::string_view detail) -> result<connection> {
    if (why != nullptr) {
      *why = std::string(describe(e)) + " at " + address(where);
      if (!detail.empty()) *why += ": " + std::string(detail);
    }
    return make_error_code(e);
  };
  std::unique_ptr<redisContext, context_deleter> ctx(
      redisConnectWithTimeout(where.host.c_str(), where.port, to_timeval(connect_timeout)));
  if (!ctx) return fail(errc::connect_failed, "out of memory");
  if (ctx->err != 0) return fail(errc::connect_failed, ctx->errstr);
  if (redisSetTimeout(ctx.get(), to_timeval(io_timeout)) != REDIS_OK) {
    return fail(errc::connect_failed, ctx->errstr);
  }
  redisEnableKeepAlive(ctx.get());
  connection c(std::move(ctx), io_timeout);
  if (!where.password.empty()) {
    auto r = where.user.empty() ? c.command({"AUTH", where.password})
                                : c.command({"AUTH", where.user, where.password});
    if (!r) return fail(errc::broken, c.ctx_->errstr);
    if (is_error(r.get())) return fail(errc::auth_refused, text_of(r.get()));
  }
  if (where.db != 0) {
    auto db = std::to_string(where.db);
    auto r = c.command({"SELECT", db});
    if (!r) return fail(errc::broken, c.ctx_->errstr);
    // Without AUTH on a server that requires it, this is the first refusal.
    if (error_starts_with(r.get(), "NOAUTH")) return fail(errc::auth_refused, text_of(r.get()));
    if (is_error(r.get())) return fail(errc::select_refused, text_of(r.get()));
  }
  return c;
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

void connection::set_timeout(std::chrono::milliseconds t) {
  if (redisSetTimeout(ctx_.get(), to_timeval(t)) != REDIS_OK) broken_ = true;
}

void connection::interrupt() { ::shutdown(ctx_->fd, SHUT_RDWR); }

bool connection::stale() const {
  if (broken()) return true;
  // No reply is owed, so anything readable is an EOF, a reset or junk.
  pollfd p{ctx_->fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

}  // namespace sluice::redis
