#pragma once
// One blocking hiredis connection (RESP2) with its Lua scripts loaded, and
// the endpoint parsed from a redis:// URL. Private to src/broker/redis/.
//
// Thread safety: a connection is used by one thread at a time; only
// interrupt() may be called from another thread (it wakes a blocked read).

#include <hiredis/hiredis.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/redis/scripts.hpp"
#include "core/result.hpp"

namespace sluice::broker::redis {

struct endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // ACL user (Redis 6+); empty = "default"
  std::string password;  // empty = no AUTH
  int db = 0;
};

// redis://[user:password@]host[:port][/db]; nullopt when malformed.
std::optional<endpoint> parse_url(std::string_view url);

struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

struct context_deleter {
  void operator()(redisContext* c) const { redisFree(c); }
};

// Reply helpers: all accept nullptr.
bool is_error(const redisReply* r);
bool error_starts_with(const redisReply* r, std::string_view prefix);
std::string_view text_of(const redisReply* r);  // string, status or error text
bool is_array(const redisReply* r);

class connection {
 public:
  // Connects, authenticates, selects the db and loads the scripts. Fails with
  // errc::unavailable.
  static result<std::unique_ptr<connection>> open(const endpoint& where,
                                                  std::chrono::milliseconds connect_timeout,
                                                  std::chrono::milliseconds io_timeout);

  // Sends one command and waits for its reply. nullptr means the connection
  // is broken (I/O error or timeout): broken() is then true for good.
  reply_ptr command(std::span<const std::string_view> args);
  reply_ptr command(std::initializer_list<std::string_view> args) {
    return command(std::span<const std::string_view>(args.begin(), args.size()));
  }
  // EVALSHA of a loaded script: KEYS then ARGV.
  reply_ptr eval(script s, std::span<const std::string_view> keys,
                 std::span<const std::string_view> args);

  // Pipelining: append any number of commands, then read one reply per command.
  void append(std::span<const std::string_view> args);
  void append_eval(script s, std::span<const std::string_view> keys,
                   std::span<const std::string_view> args);
  reply_ptr get_reply();

  // Read/write timeout for the following calls (e.g. longer around BLOCK).
  void set_timeout(std::chrono::milliseconds t);
  std::chrono::milliseconds io_timeout() const { return io_timeout_; }

  bool broken() const { return broken_ || ctx_->err != 0; }
  // Shuts the socket down so that a blocked read returns at once; the
  // connection is broken afterwards. Safe from another thread.
  void interrupt();

 private:
  connection(std::unique_ptr<redisContext, context_deleter> ctx, std::chrono::milliseconds io)
      : ctx_(std::move(ctx)), io_timeout_(io) {}
  bool load_scripts();
  std::vector<std::string_view> eval_args(script s, std::span<const std::string_view> keys,
                                          std::span<const std::string_view> args,
                                          std::string& numkeys) const;

  std::unique_ptr<redisContext, context_deleter> ctx_;
  std::chrono::milliseconds io_timeout_;
  std::array<std::string, k_script_count> shas_;
  bool broken_ = false;
};

}  // namespace sluice::broker::redis
