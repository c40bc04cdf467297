#pragma once
// One AMQP 0-9-1 connection with one channel, owned by one thread at a time
// (librabbitmq connections are not thread-safe). Private to src/broker/rabbitmq/.
//
// Any failed RPC, channel error or socket error drops the whole connection:
// a channel the server closed cannot be reused, and reconnecting is cheap
// compared with tracking half-open state. Callers reopen on their next use.

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "broker/broker.hpp"

namespace sluice::broker::rabbitmq {

struct endpoint {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
};

// "amqp://user:pass@host:port/vhost" (vhost percent-encoded, "%2f" is "/").
result<endpoint> parse_url(const std::string& url);

struct connection_deleter {
  void operator()(amqp_connection_state_t c) const;
};
using connection_ptr = std::unique_ptr<amqp_connection_state_t_, connection_deleter>;

class session {
 public:
  static constexpr amqp_channel_t k_channel = 1;

  // Connects, logs in and opens channel 1, each step bounded by `timeout`.
  // `heartbeat` 0 disables heartbeats (the peer then relies on TCP to notice
  // a dead connection).
  std::error_code open(const endpoint& where, std::chrono::milliseconds timeout,
                       std::chrono::seconds heartbeat);
  bool is_open() const { return conn_ != nullptr; }
  // REQUIRES: is_open().
  amqp_connection_state_t get() const { return conn_.get(); }
  // Closes politely (connection.close) when the connection is still healthy,
  // else just drops the socket. The server requeues every unacked delivery.
  void reset();
  // Drops the socket without a goodbye (after an error).
  void drop() { conn_.reset(); }

  // Maps the last RPC's reply: {} when normal; otherwise drops the connection
  // and returns errc::unavailable (errc::unknown_subscription for a missing
  // queue, when `missing_is_unknown`). The reason is in last_error().
  std::error_code check(amqp_rpc_reply_t reply, const char* what, bool missing_is_unknown = false);
  // The same for a librabbitmq status code (AMQP_STATUS_*).
  std::error_code check_status(int status, const char* what);
  const std::string& last_error() const { return last_error_; }

  // Declares (idempotently) a durable fanout exchange.
  std::error_code declare_exchange(const std::string& name);
  // Declares a durable queue ("quorum" or "classic") bound to `exchange`.
  std::error_code declare_queue(const std::string& name, const std::string& type,
                                const std::string& exchange);
  // Ready messages in an existing queue (passive declare).
  result<std::uint64_t> ready_count(const std::string& queue);

 private:
  connection_ptr conn_;
  std::string last_error_;
};

// The server's words for a connection or channel close carried by a method frame.
std::string describe_close(const amqp_method_t& method);

}  // namespace sluice::broker::rabbitmq
