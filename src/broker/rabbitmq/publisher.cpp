// The sender. Sequence numbers: after confirm.select the broker numbers this
// channel's publishes 1, 2, 3… and acks them by that number, possibly several
// at once (multiple = "everything up to here"). One group is in flight at a
// time; it remembers which of its messages are settled, so single and
// multiple acks mix safely.

#include "broker/rabbitmq/publisher.hpp"

#include <algorithm>
#include <thread>

#include "broker/rabbitmq/codec.hpp"
#include "core/timeval.hpp"
#include "observe/log.hpp"

namespace sluice::broker::rabbitmq {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t k_max_frames_per_read = 4096;  // then go back to sending
constexpr std::chrono::milliseconds k_idle_poll{200};
constexpr std::chrono::milliseconds k_confirm_wait{50};
constexpr std::chrono::milliseconds k_retry_min{100};
constexpr std::chrono::seconds k_close_limit{10};

amqp_bytes_t bytes_of(const std::string& s) { return {s.size(), const_cast<char*>(s.data())}; }

}  // namespace

publisher::publisher(publisher_options options)
    : options_(std::move(options)),
      backoff_(k_retry_min, options_.retry_max),
      queue_(*this, {.max_pending = options_.max_pending,
                     .max_group = std::max<std::size_t>(1, options_.window),
                     .drain_limit = k_close_limit}) {}

publisher::~publisher() {
  close();
  session_.reset();  // the queue thread has ended: nothing else uses the session
}

void publisher::close() {
  queue_.close();
}

bool publisher::wait_connected(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!connected_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  return connected_;
}

std::error_code publisher::refuse() {
  return connected_ ? std::error_code{} : make_error_code(errc::unavailable);
}

std::optional<group_sender<outgoing>::clock::time_point> publisher::wake_at() {
  return next_try_;
}

void publisher::on_wake() {
  if (session_.is_open()) {
    // Idle: read what came (heartbeats, late frames) so the connection stays alive.
    std::vector<bool> none;
    std::size_t remaining = 0;
    read_confirms(next_seq_, none, remaining, {});
    next_try_ = clock::now() + k_idle_poll;
    return;
  }
  if (connect()) {
    backoff_.reset();
    next_try_ = clock::now() + k_idle_poll;
    return;
  }
  // Once per outage at warn; the retries after it at debug.
  const bool first = backoff_.current().count() == 0;
  const auto delay = backoff_.next();
  if (first) {
    observe::warn("rabbitmq publisher cannot connect", {{"error", session_.last_error()}});
  } else {
    observe::debug("rabbitmq publisher cannot connect",
                   {{"error", session_.last_error()}, {"retry_ms", delay.count()}});
  }
  next_try_ = clock::now() + delay;
}

bool publisher::connect() {
  if (auto ec = session_.open(options_.where, options_.connect_timeout, options_.heartbeat)) {
    return false;
  }
  amqp_confirm_select(session_.get(), session::k_channel);
  if (session_.check(amqp_get_rpc_reply(session_.get()), "confirm.select")) return false;
  declared_.clear();
  next_seq_ = 1;
  connected_ = true;
  return true;
}

void publisher::send(std::span<outgoing> items, std::span<const std::size_t> /*calls*/,
                     std::span<std::error_code> out) {
  auto fail_all = [&] { std::fill(out.begin(), out.end(), make_error_code(errc::unavailable)); };
  if (!session_.is_open() || !declare_exchanges(items)) return fail_all();
  const std::uint64_t first_seq = next_seq_;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& o = items[i];
    encoded_properties props(o.msg, o.attempts_before);
    int status = amqp_basic_publish(session_.get(), session::k_channel, bytes_of(o.exchange),
                                    bytes_of(o.routing_key), /*mandatory=*/1, /*immediate=*/0,
                                    props.get(), bytes_of(o.msg.body));
    if (status != AMQP_STATUS_OK) {
      lost(std::string("publish: ") + amqp_error_string2(status));
      // Those already written may be stored; this one and the rest were not
      // (a message whose frames did not all arrive is not stored).
      std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(i),
                make_error_code(errc::outcome_unknown));
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(i), out.end(),
                make_error_code(errc::unavailable));
      return;
    }
    ++next_seq_;
  }
  std::vector<bool> settled(items.size(), false);
  std::size_t remaining = items.size();
  const auto deadline = clock::now() + options_.confirm_timeout;
  while (remaining > 0) {
    if (clock::now() >= deadline) {
      // A live connection whose confirms stop is, on a quorum queue, most
      // often a queue that has no leader (it accepts the publish and never
      // confirms it): say so, the operator cannot tell from "timeout" alone.
      lost("no publisher confirm within confirm_timeout (" +
           std::to_string(options_.confirm_timeout.count()) +
           " ms): a quorum queue without a leader? (rabbitmq-queues quorum_status)");
      break;
    }
    if (!read_confirms(first_seq, settled, remaining, out)) break;
  }
  // Unconfirmed (lost connection or timeout): may or may not be stored
  // (issue 11 #27). Nacks and returns were settled above as they are.
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!settled[i]) out[i] = errc::outcome_unknown;
  }
  next_try_ = clock::now() + k_idle_poll;
}

bool publisher::declare_exchanges(std::span<outgoing> items) {
  // A publish to an exchange that does not exist closes the channel, so each
  // topic's exchange is declared once per connection (an RPC on the same
  // channel; nothing is in flight between groups).
  for (const auto& o : items) {
    if (o.exchange.empty() ||
        std::find(declared_.begin(), declared_.end(), o.exchange) != declared_.end()) {
      continue;
    }
    if (session_.declare_exchange(o.exchange)) {
      lost(session_.last_error());
      return false;
    }
    declared_.push_back(o.exchange);
  }
  return true;
}

bool publisher::read_confirms(std::uint64_t first_seq, std::vector<bool>& settled,
                              std::size_t& remaining, std::span<std::error_code> out) {
  // Marks sequence numbers [from, to] of this group settled with `ec`.
  auto settle = [&](std::uint64_t tag, bool multiple, std::error_code ec) {
    if (settled.empty() || tag < first_seq) return;
    std::uint64_t from = multiple ? first_seq : tag;
    std::uint64_t to = std::min<std::uint64_t>(tag, first_seq + settled.size() - 1);
    for (std::uint64_t s = from; s <= to; ++s) {
      std::size_t i = s - first_seq;
      if (settled[i]) continue;
      settled[i] = true;
      --remaining;
      if (ec) out[i] = ec;
    }
  };
  timeval tv = to_timeval(remaining > 0 ? k_confirm_wait : 0ms);
  for (std::size_t n = 0; n < k_max_frames_per_read; ++n) {
    amqp_frame_t frame;
    int status = amqp_simple_wait_frame_noblock(session_.get(), &frame, &tv);
    if (status == AMQP_STATUS_TIMEOUT) break;
    if (status != AMQP_STATUS_OK) {
      lost(std::string("reading confirms: ") + amqp_error_string2(status));
      return false;
    }
    tv = to_timeval(0ms);  // after the first frame, take only what is already here
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;  // a returned message's content
    const auto& method = frame.payload.method;
    switch (method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        auto* m = static_cast<amqp_basic_ack_t*>(method.decoded);
        settle(m->delivery_tag, m->multiple != 0, {});
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        auto* m = static_cast<amqp_basic_nack_t*>(method.decoded);
        settle(m->delivery_tag, m->multiple != 0, errc::unavailable);
        break;
      }
      case AMQP_BASIC_RETURN_METHOD:
        // Unroutable: the topic has no subscription, so nobody can receive it
        // (the embedded queue drops such messages too). Its ack follows.
        break;
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD: lost(describe_close(method)); return false;
      default: break;
    }
    if (remaining == 0) break;
  }
  amqp_maybe_release_buffers(session_.get());
  return true;
}

void publisher::lost(const std::string& why) {
  if (session_.is_open()) {
    observe::warn("rabbitmq publisher lost its connection", {{"error", why}});
  }
  session_.drop();
  connected_ = false;
  next_try_ = clock::now();  // reconnect at once, then back off
}

}  // namespace sluice::broker::rabbitmq
