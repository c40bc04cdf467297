#include "broker/rabbitmq/amqp_session.hpp"

#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <vector>

#include "core/timeval.hpp"

namespace sluice::broker::rabbitmq {
namespace {

// RPCs (declares, consume) may wait for a quorum queue's leader election
// after a restart: give them longer than a connect.
constexpr std::chrono::seconds k_rpc_timeout{15};
constexpr int k_frame_max = 131072;
constexpr std::uint16_t k_not_found = 404;

std::string bytes_text(amqp_bytes_t b) {
  return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}

}  // namespace

void connection_deleter::operator()(amqp_connection_state_t c) const {
  amqp_destroy_connection(c);  // also closes the socket
}

result<endpoint> parse_url(const std::string& url) {
  std::vector<char> text(url.begin(), url.end());
  text.push_back('\0');
  amqp_connection_info info{};
  amqp_default_connection_info(&info);
  // librabbitmq's words for a URL it cannot parse (amqp_error_string2).
  if (const int rc = amqp_parse_url(text.data(), &info); rc != AMQP_STATUS_OK) {
    return {errc::unavailable, std::string(amqp_error_string2(rc)) +
                                   " (expected amqp://user:password@host:port/vhost)"};
  }
  if (info.ssl) return {errc::unavailable, "amqps:// (TLS) is not supported"};
  endpoint e;
  e.host = info.host;
  e.port = info.port;
  e.user = info.user;
  e.password = info.password;
  e.vhost = info.vhost;
  if (e.vhost.empty()) e.vhost = "/";
  return e;
}

std::string describe_close(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* m = static_cast<amqp_connection_close_t*>(method.decoded);
    return "connection closed by server: " + std::to_string(m->reply_code) + " " +
           bytes_text(m->reply_text);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(method.decoded);
    return "channel closed by server: " + std::to_string(m->reply_code) + " " +
           bytes_text(m->reply_text);
  }
  return "unexpected method " + std::to_string(method.id);
}

std::error_code session::open(const endpoint& where, std::chrono::milliseconds timeout,
                              std::chrono::seconds heartbeat) {
  conn_.reset();
  connection_ptr conn(amqp_new_connection());
  if (!conn) return check_status(AMQP_STATUS_NO_MEMORY, "new connection");
  amqp_socket_t* socket = amqp_tcp_socket_new(conn.get());  // owned by the connection
  if (socket == nullptr) return check_status(AMQP_STATUS_NO_MEMORY, "new socket");
  timeval tv = to_timeval(timeout);
  int status = amqp_socket_open_noblock(socket, where.host.c_str(), where.port, &tv);
  if (status != AMQP_STATUS_OK) return check_status(status, "connect");
  amqp_set_handshake_timeout(conn.get(), &tv);
  timeval rpc = to_timeval(k_rpc_timeout);
  amqp_set_rpc_timeout(conn.get(), &rpc);
  conn_ = std::move(conn);
  auto login = amqp_login(conn_.get(), where.vhost.c_str(), 0, k_frame_max,
                          static_cast<int>(heartbeat.count()), AMQP_SASL_METHOD_PLAIN,
                          where.user.c_str(), where.password.c_str());
  if (auto ec = check(login, "login")) return ec;
  amqp_channel_open(conn_.get(), k_channel);
  return check(amqp_get_rpc_reply(conn_.get()), "channel.open");
}

void session::reset() {
  if (!conn_) return;
  amqp_connection_close(conn_.get(), AMQP_REPLY_SUCCESS);  // bounded by the RPC timeout
  conn_.reset();
}

std::error_code session::check(amqp_rpc_reply_t reply, const char* what, bool missing_is_unknown) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL: return {};
    case AMQP_RESPONSE_NONE: last_error_ = std::string(what) + ": no reply"; break;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      last_error_ = std::string(what) + ": " + amqp_error_string2(reply.library_error);
      break;
    case AMQP_RESPONSE_SERVER_EXCEPTION: {
      last_error_ = std::string(what) + ": " + describe_close(reply.reply);
      bool not_found = reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD &&
                       static_cast<amqp_channel_close_t*>(reply.reply.decoded)->reply_code ==
                           k_not_found;
      conn_.reset();
      return missing_is_unknown && not_found ? errc::unknown_subscription : errc::unavailable;
    }
  }
  conn_.reset();
  return errc::unavailable;
}

std::error_code session::check_status(int status, const char* what) {
  if (status == AMQP_STATUS_OK) return {};
  last_error_ = std::string(what) + ": " + amqp_error_string2(status);
  conn_.reset();
  return errc::unavailable;
}

std::error_code session::declare_exchange(const std::string& name) {
  amqp_exchange_declare(conn_.get(), k_channel, amqp_cstring_bytes(name.c_str()),
                        amqp_cstring_bytes("fanout"), /*passive=*/0, /*durable=*/1,
                        /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  return check(amqp_get_rpc_reply(conn_.get()), "exchange.declare");
}

std::error_code session::declare_queue(const std::string& name, const std::string& type,
                                       const std::string& exchange) {
  amqp_table_entry_t arg{};
  arg.key = amqp_cstring_bytes("x-queue-type");
  arg.value.kind = AMQP_FIELD_KIND_UTF8;
  arg.value.value.bytes = amqp_cstring_bytes(type.c_str());
  amqp_table_t args{1, &arg};
  amqp_queue_declare(conn_.get(), k_channel, amqp_cstring_bytes(name.c_str()), /*passive=*/0,
                     /*durable=*/1, /*exclusive=*/0, /*auto_delete=*/0, args);
  if (auto ec = check(amqp_get_rpc_reply(conn_.get()), "queue.declare")) return ec;
  amqp_queue_bind(conn_.get(), k_channel, amqp_cstring_bytes(name.c_str()),
                  amqp_cstring_bytes(exchange.c_str()), amqp_empty_bytes, amqp_empty_table);
  return check(amqp_get_rpc_reply(conn_.get()), "queue.bind");
}

result<std::uint64_t> session::ready_count(const std::string& queue) {
  auto* ok = amqp_queue_declare(conn_.get(), k_channel, amqp_cstring_bytes(queue.c_str()),
                                /*passive=*/1, 0, 0, 0, amqp_empty_table);
  if (auto ec = check(amqp_get_rpc_reply(conn_.get()), "queue.declare passive", true)) return ec;
  return static_cast<std::uint64_t>(ok->message_count);
}

}  // namespace sluice::broker::rabbitmq
