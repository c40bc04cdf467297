#pragma once
// The one blocking hiredis connection (RESP2), shared by the Redis broker
// (src/broker/redis/, which adds its Lua scripts) and the shared page cache
// (src/cache/redis/). Opening connects, authenticates (AUTH [user] password)
// and selects the endpoint's db. hiredis types stay in src/redis/,
// src/broker/redis/ and src/cache/redis/.
//
// Errors: std::error_codes of redis_category() (errc below); open() can also
// say why in words (the server's refusal, e.g. "WRONGPASS …").
//
// Thread safety: a connection is used by one thread at a time; only
// interrupt() may be called from another thread (it wakes a blocked read).

#include <hiredis/hiredis.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "core/result.hpp"
#include "redis/url.hpp"

namespace sluice::redis {

enum class errc {
  connect_failed = 1,  // no TCP connection (refused, unreachable, timed out)
  auth_refused,        // AUTH answered with an error (wrong password, unknown user)
  select_refused,      // SELECT answered with an error (db out of range)
  broken,              // I/O error or timeout on an open connection
  bad_url,             // not a redis:// URL parse_url() accepts
};
const std::error_category& redis_category();
std::error_code make_error_code(errc e);

struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

// Reply helpers: all accept nullptr.
bool is_error(const redisReply* r);
bool error_starts_with(const redisReply* r, std::string_view prefix);
std::string_view text_of(const redisReply* r);  // string, status or error text
bool is_array(const redisReply* r);

class connection {
 public:
  // Connects, authenticates when the endpoint has a password, selects its db.
  // On failure `why` (when given) receives a sentence for the log.
  static result<connection> open(const endpoint& where, std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds io_timeout, std::string* why = nullptr);

  connection(connection&&) noexcept = default;
  connection& operator=(connection&&) noexcept = default;
  virtual ~connection() = default;

  // Sends one command and waits for its reply. nullptr means the connection
  // is broken (I/O error or timeout): broken() is then true for good.
  reply_ptr command(std::span<const std::string_view> args);
  reply_ptr command(std::initializer_list<std::string_view> args) {
    return command(std::span<const std::string_view>(args.begin(), args.size()));
  }

  // Pipelining: append any number of commands, then read one reply per command.
  void append(std::span<const std::string_view> args);
  reply_ptr get_reply();

  // Read/write timeout for the following calls (e.g. longer around BLOCK).
  void set_timeout(std::chrono::milliseconds t);
  std::chrono::milliseconds io_timeout() const { return io_timeout_; }

  bool broken() const { return broken_ || ctx_->err != 0; }
  // With no reply outstanding: true when the connection cannot be used (the
  // server closed or reset it, e.g. it restarted). Lets a caller open a new
  // one before sending, rather than send into a dead socket and not know
  // whether the command ran.
  bool stale() const;
  // Shuts the socket down so that a blocked read returns at once; the
  // connection is broken afterwards. Safe from another thread.
  void interrupt();

 private:
  struct context_deleter {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  connection(std::unique_ptr<redisContext, context_deleter> ctx, std::chrono::milliseconds io)
      : ctx_(std::move(ctx)), io_timeout_(io) {}

  std::unique_ptr<redisContext, context_deleter> ctx_;
  std::chrono::milliseconds io_timeout_;
  bool broken_ = false;
};

}  // namespace sluice::redis

template <>
struct std::is_error_code_enum<sluice::redis::errc> : std::true_type {};
