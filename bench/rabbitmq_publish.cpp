// Raw acked publish rate of librabbitmq against RabbitMQ, the reference for
// Sluice's POST → 202 rate on the amqp:// broker. Not a test.
//
//   sluice_bench_rabbitmq_publish [amqp://guest:guest@127.0.0.1:5672] [messages=50000]
//                                 [bytes=80] [window=1000] [queue_type=quorum]
//
// Declares a throw-away fanout exchange and a durable queue bound to it (so
// messages are really stored), publishes persistent messages with publisher
// confirms, keeping up to `window` unconfirmed, reads confirms frame by frame
// (librabbitmq 0.11 has no confirm-wait call), prints msgs/s, deletes both.

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int fail(const char* what, amqp_rpc_reply_t r) {
  std::fprintf(stderr, "%s failed (reply type %d, library error %s)\n", what,
               static_cast<int>(r.reply_type), amqp_error_string2(r.library_error));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "amqp://guest:guest@127.0.0.1:5672";
  const long count = argc > 2 ? std::atol(argv[2]) : 50'000;
  const int bytes = argc > 3 ? std::atoi(argv[3]) : 80;
  const long window = argc > 4 ? std::atol(argv[4]) : 1000;
  const std::string queue_type = argc > 5 ? argv[5] : "quorum";
  const std::string name = "bench_" + std::to_string(getpid());

  std::vector<char> url_text(url.begin(), url.end());
  url_text.push_back('\0');
  amqp_connection_info info{};
  if (amqp_parse_url(url_text.data(), &info) != AMQP_STATUS_OK) {
    std::fprintf(stderr, "bad URL %s\n", url.c_str());
    return 2;
  }
  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  if (amqp_socket_open(socket, info.host, info.port) != AMQP_STATUS_OK) {
    std::fprintf(stderr, "cannot connect to %s:%d\n", info.host, info.port);
    return 1;
  }
  auto r = amqp_login(conn, info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, info.user,
                      info.password);
  if (r.reply_type != AMQP_RESPONSE_NORMAL) return fail("login", r);
  amqp_channel_open(conn, 1);
  if ((r = amqp_get_rpc_reply(conn)).reply_type != AMQP_RESPONSE_NORMAL) return fail("channel", r);
  amqp_exchange_declare(conn, 1, amqp_cstring_bytes(name.c_str()), amqp_cstring_bytes("fanout"),
                        0, 1, 0, 0, amqp_empty_table);
  if ((r = amqp_get_rpc_reply(conn)).reply_type != AMQP_RESPONSE_NORMAL) return fail("exchange", r);
  amqp_table_entry_t arg{};
  arg.key = amqp_cstring_bytes("x-queue-type");
  arg.value.kind = AMQP_FIELD_KIND_UTF8;
  arg.value.value.bytes = amqp_cstring_bytes(queue_type.c_str());
  amqp_queue_declare(conn, 1, amqp_cstring_bytes(name.c_str()), 0, 1, 0, 0, {1, &arg});
  if ((r = amqp_get_rpc_reply(conn)).reply_type != AMQP_RESPONSE_NORMAL) return fail("queue", r);
  amqp_queue_bind(conn, 1, amqp_cstring_bytes(name.c_str()), amqp_cstring_bytes(name.c_str()),
                  amqp_empty_bytes, amqp_empty_table);
  if ((r = amqp_get_rpc_reply(conn)).reply_type != AMQP_RESPONSE_NORMAL) return fail("bind", r);
  amqp_confirm_select(conn, 1);
  if ((r = amqp_get_rpc_reply(conn)).reply_type != AMQP_RESPONSE_NORMAL) return fail("confirm", r);

  std::string body(static_cast<std::size_t>(bytes), 'x');
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = 2;
  long sent = 0, acked = 0, nacked = 0;
  auto start = std::chrono::steady_clock::now();
  while (acked + nacked < count) {
    while (sent < count && sent - acked - nacked < window) {
      int s = amqp_basic_publish(conn, 1, amqp_cstring_bytes(name.c_str()), amqp_empty_bytes, 0, 0,
                                 &props, {body.size(), body.data()});
      if (s != AMQP_STATUS_OK) {
        std::fprintf(stderr, "publish: %s\n", amqp_error_string2(s));
        return 1;
      }
      ++sent;
    }
    amqp_frame_t frame;
    int s = amqp_simple_wait_frame(conn, &frame);
    if (s != AMQP_STATUS_OK) {
      std::fprintf(stderr, "confirm: %s\n", amqp_error_string2(s));
      return 1;
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    bool ack = frame.payload.method.id == AMQP_BASIC_ACK_METHOD;
    if (!ack && frame.payload.method.id != AMQP_BASIC_NACK_METHOD) continue;
    std::uint64_t tag = ack ? static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded)->delivery_tag
                            : static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded)->delivery_tag;
    bool multiple = ack ? static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded)->multiple
                        : static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded)->multiple;
    long settled = multiple ? static_cast<long>(tag) - acked - nacked : 1;
    (ack ? acked : nacked) += settled;
    amqp_maybe_release_buffers(conn);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("rabbitmq raw acked publish (%s queue, persistent, confirms, window %ld): %ld msgs of "
              "%d bytes in %.2f s = %.0f msgs/s (nacked %ld)\n",
              queue_type.c_str(), window, acked + nacked, bytes, secs, (acked + nacked) / secs,
              nacked);
  amqp_queue_delete(conn, 1, amqp_cstring_bytes(name.c_str()), 0, 0);
  amqp_exchange_delete(conn, 1, amqp_cstring_bytes(name.c_str()), 0);
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  return nacked == 0 ? 0 : 1;
}
