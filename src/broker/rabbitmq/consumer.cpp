#include "broker/rabbitmq/consumer.hpp"

#include <algorithm>
#include <charconv>

#include "broker/rabbitmq/codec.hpp"
#include "core/timeval.hpp"
#include "observe/log.hpp"

namespace sluice::broker::rabbitmq {
namespace {

using namespace std::chrono_literals;

// A blocked read wakes this often to notice close().
constexpr std::chrono::milliseconds k_slice{100};

bool parse_u64(std::string_view s, std::uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string format_receipt(const receipt& r) {
  return std::to_string(r.consumer) + ":" + std::to_string(r.epoch) + ":" + std::to_string(r.tag);
}

bool parse_receipt(const std::string& text, receipt& out) {
  std::string_view s(text);
  auto a = s.find(':');
  auto b = a == std::string_view::npos ? a : s.find(':', a + 1);
  if (b == std::string_view::npos) return false;
  return parse_u64(s.substr(0, a), out.consumer) && parse_u64(s.substr(a + 1, b - a - 1), out.epoch) &&
         parse_u64(s.substr(b + 1), out.tag);
}

consumer::consumer(std::uint64_t id, std::string subscription, std::string queue,
                   consumer_options options)
    : id_(id),
      subscription_(std::move(subscription)),
      queue_(std::move(queue)),
      options_(std::move(options)) {}

std::error_code consumer::connect(std::size_t prefetch) {
  // No heartbeats: between pulls nobody reads this connection, and a missed
  // heartbeat would make the server requeue a batch that is being written.
  if (auto ec = session_.open(options_.where, options_.connect_timeout, 0s)) return ec;
  amqp_basic_qos(session_.get(), session::k_channel, 0, static_cast<std::uint16_t>(prefetch), 0);
  if (auto ec = session_.check(amqp_get_rpc_reply(session_.get()), "basic.qos")) return ec;
  amqp_basic_consume(session_.get(), session::k_channel, amqp_cstring_bytes(queue_.c_str()),
                     amqp_empty_bytes, /*no_local=*/0, /*no_ack=*/0, /*exclusive=*/0,
                     amqp_empty_table);
  if (auto ec = session_.check(amqp_get_rpc_reply(session_.get()), "basic.consume", true)) {
    // The connection is up but the queue says no (missing, or a quorum queue
    // without a leader after a node crash): the operator's problem, not a
    // blip, so a warning with the broker's own words, not pull()'s debug line.
    observe::warn("rabbitmq queue refused a consumer", {{"subscription", subscription_},
                                                        {"queue", queue_},
                                                        {"error", session_.last_error()}});
    return ec;
  }
  ++epoch_;
  outstanding_.clear();
  leased_ = 0;
  return {};
}

void consumer::disconnect() {
  session_.reset();
  outstanding_.clear();
  leased_ = 0;
}

result<std::vector<delivery>> consumer::pull(std::size_t max, std::chrono::milliseconds wait,
                                             const std::atomic<bool>& stop) {
  if (!session_.is_open()) {
    std::size_t prefetch = std::clamp<std::size_t>(max, 1, std::min<std::size_t>(options_.max_prefetch, 65535));
    if (auto ec = connect(prefetch)) {
      observe::debug("rabbitmq consumer cannot connect",
                     {{"subscription", subscription_}, {"error", session_.last_error()}});
      return ec;
    }
  }
  std::vector<delivery> out;
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::string lost_reason;
  while (out.size() < max && !stop) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    // Wait (in slices) only for the first delivery; then take what is here.
    auto slice = out.empty() ? std::clamp(left, 0ms, k_slice) : 0ms;
    timeval tv = to_timeval(slice);
    amqp_maybe_release_buffers(session_.get());
    amqp_envelope_t envelope;
    auto reply = amqp_consume_message(session_.get(), &envelope, &tv, 0);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
      auto d = decode(envelope);
      amqp_destroy_envelope(&envelope);
      outstanding_.insert(d.tag);
      delivery& got = out.emplace_back();
      got.msg = std::move(d.msg);
      got.subscription = subscription_;
      got.attempt = d.attempt;
      got.receipt = format_receipt({id_, epoch_, d.tag});
      continue;
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_TIMEOUT) {
      if (!out.empty() || left <= 0ms) break;
      continue;
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      // A frame other than a delivery: the server closing us, or noise.
      amqp_frame_t frame;
      timeval now{};
      int status = amqp_simple_wait_frame_noblock(session_.get(), &frame, &now);
      if (status == AMQP_STATUS_TIMEOUT) continue;
      if (status == AMQP_STATUS_OK && frame.frame_type == AMQP_FRAME_METHOD) {
        auto id = frame.payload.method.id;
        if (id == AMQP_CHANNEL_CLOSE_METHOD || id == AMQP_CONNECTION_CLOSE_METHOD) {
          lost_reason = describe_close(frame.payload.method);
        } else if (id == AMQP_BASIC_CANCEL_METHOD) {
          lost_reason = "consumer cancelled by the server (queue deleted?)";
        } else {
          continue;
        }
      } else if (status == AMQP_STATUS_OK) {
        continue;
      } else {
        lost_reason = amqp_error_string2(status);
      }
    } else {
      lost_reason = reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                        ? amqp_error_string2(reply.library_error)
                        : "server error while consuming";
    }
    // The connection is gone and with it every lease on it: the server
    // requeues them, so what was gathered here must not be handed out.
    observe::warn("rabbitmq consumer lost its connection",
                  {{"subscription", subscription_}, {"error", lost_reason}});
    session_.drop();
    outstanding_.clear();
    leased_ = 0;
    return errc::unavailable;
  }
  leased_ = outstanding_.size();
  return out;
}

std::error_code consumer::ack(std::span<const receipt> receipts) { return settle(receipts, true); }
std::error_code consumer::requeue(std::span<const receipt> receipts) {
  return settle(receipts, false);
}

std::error_code consumer::settle(std::span<const receipt> receipts, bool ack) {
  std::vector<std::uint64_t> tags;
  for (const auto& r : receipts) {
    if (r.epoch == epoch_ && outstanding_.count(r.tag) != 0) tags.push_back(r.tag);
  }
  if (tags.empty() || !session_.is_open()) return {};
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  auto send = [&](std::uint64_t tag, bool multiple) {
    return ack ? amqp_basic_ack(session_.get(), session::k_channel, tag, multiple)
               : amqp_basic_nack(session_.get(), session::k_channel, tag, multiple, /*requeue=*/1);
  };
  // One frame settles them all when they are exactly the outstanding tags up
  // to the highest (the usual case: a whole batch acked after its commit).
  auto upto = std::distance(outstanding_.begin(), outstanding_.upper_bound(tags.back()));
  int status = AMQP_STATUS_OK;
  if (static_cast<std::size_t>(upto) == tags.size()) {
    status = send(tags.back(), true);
  } else {
    for (auto tag : tags) {
      if ((status = send(tag, false)) != AMQP_STATUS_OK) break;
    }
  }
  for (auto tag : tags) outstanding_.erase(tag);
  leased_ = outstanding_.size();
  if (status != AMQP_STATUS_OK) {
    observe::warn("rabbitmq consumer lost its connection",
                  {{"subscription", subscription_}, {"error", amqp_error_string2(status)}});
    session_.drop();
    outstanding_.clear();
    leased_ = 0;
    return errc::unavailable;
  }
  return {};
}

}  // namespace sluice::broker::rabbitmq
