// The publisher thread. Sequence numbers: after confirm.select the broker
// numbers this channel's publishes 1, 2, 3… and acks them by that number,
// possibly several at once (multiple = "everything up to here"). inflight_
// holds the published batches in sequence order; each remembers which of its
// messages are settled, so single and multiple acks mix safely.

#include "broker/rabbitmq/publisher.hpp"

#include <algorithm>
#include <random>

#include "broker/rabbitmq/codec.hpp"
#include "observe/log.hpp"

namespace sluice::broker::rabbitmq {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t k_max_frames_per_read = 4096;  // then go back to sending
constexpr std::chrono::milliseconds k_idle_poll{200};
constexpr std::chrono::milliseconds k_confirm_wait{50};
constexpr std::chrono::milliseconds k_retry_min{100};
constexpr std::chrono::seconds k_close_limit{10};

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

amqp_bytes_t bytes_of(const std::string& s) { return {s.size(), const_cast<char*>(s.data())}; }

}  // namespace

struct publisher::batch {
  std::vector<outgoing> items;
  publish_callback done;
  std::size_t size = 0;
  std::uint64_t first_seq = 0;
  std::vector<bool> settled;
  std::size_t low = 0;  // every message below this index is settled
  std::size_t remaining = 0;
  std::error_code error;

  void finish(std::error_code ec) {
    if (!done) return;
    auto cb = std::move(done);
    done = nullptr;
    cb(ec);
  }
};

publisher::publisher(publisher_options options) : options_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

publisher::~publisher() { close(); }

void publisher::submit(std::vector<outgoing> items, publish_callback done) {
  std::error_code refused;
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      refused = errc::closed;
    } else if (!connected_) {
      refused = errc::unavailable;
    } else if (queued_msgs_ + items.size() > options_.max_pending) {
      refused = errc::overloaded;
    } else {
      queued_msgs_ += items.size();
      batch b;
      b.size = items.size();
      b.items = std::move(items);
      b.done = std::move(done);
      queue_.push_back(std::move(b));
    }
  }
  if (refused) {
    done(refused);
    return;
  }
  cv_.notify_one();
}

bool publisher::wait_connected(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!connected_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  return connected_;
}

void publisher::close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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

void publisher::run() {
  auto backoff = k_retry_min;
  std::mt19937 rng(std::random_device{}());
  std::optional<std::chrono::steady_clock::time_point> closing_since;
  for (;;) {
    if (!session_.is_open()) {
      connected_ = false;
      if (!connect()) {
        // Once per outage at warn; the retries after it at debug.
        if (backoff == k_retry_min) {
          observe::warn("rabbitmq publisher cannot connect", {{"error", session_.last_error()}});
        } else {
          observe::debug("rabbitmq publisher cannot connect",
                         {{"error", session_.last_error()}, {"retry_ms", backoff.count()}});
        }
        fail_all(errc::unavailable);
        std::unique_lock lock(mu_);
        if (closing_) break;
        // Capped exponential backoff with jitter: [backoff/2, backoff].
        std::uniform_int_distribution<long> jitter(backoff.count() / 2, backoff.count());
        cv_.wait_for(lock, std::chrono::milliseconds(jitter(rng)), [this] { return closing_; });
        backoff = std::min(options_.retry_max, backoff * 2);
        continue;
      }
      backoff = k_retry_min;
    }

    std::deque<batch> taken;
    bool more_waiting = false;
    {
      std::unique_lock lock(mu_);
      if (queue_.empty() && inflight_.empty()) {
        if (closing_) break;
        cv_.wait_for(lock, k_idle_poll, [this] { return !queue_.empty() || closing_; });
      }
      std::size_t room = options_.window > inflight_msgs_ ? options_.window - inflight_msgs_ : 0;
      while (!queue_.empty() && (taken.empty() || queue_.front().size <= room)) {
        room -= std::min(room, queue_.front().size);
        queued_msgs_ -= queue_.front().size;
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      more_waiting = !queue_.empty();
      if (closing_ && !closing_since) closing_since = std::chrono::steady_clock::now();
    }
    if (closing_since && std::chrono::steady_clock::now() - *closing_since > k_close_limit) {
      lost("confirms did not arrive before close");
      for (auto& b : taken) b.finish(errc::unavailable);
      fail_all(errc::unavailable);
      break;
    }

    while (!taken.empty()) {
      batch b = std::move(taken.front());
      taken.pop_front();
      if (!send(b)) {
        for (auto& rest : taken) rest.finish(errc::unavailable);
        taken.clear();
      }
    }
    if (!session_.is_open()) continue;
    // Poll without waiting when more batches are queued and the window has room.
    bool room = inflight_msgs_ < options_.window;
    read_confirms(more_waiting && room ? 0ms : inflight_.empty() ? 0ms : k_confirm_wait);
  }
  connected_ = false;
  fail_all(errc::closed);
  session_.reset();
}

bool publisher::send(batch& b) {
  // A publish to an exchange that does not exist closes the channel, so each
  // topic's exchange is declared once per connection. The declare is an RPC
  // on the same channel: settle everything in flight first so that its reply
  // is the next frame.
  for (const auto& o : b.items) {
    if (o.exchange.empty() ||
        std::find(declared_.begin(), declared_.end(), o.exchange) != declared_.end()) {
      continue;
    }
    for (int i = 0; i < 200 && !inflight_.empty() && session_.is_open(); ++i) {
      read_confirms(k_confirm_wait);
    }
    if (!session_.is_open() || !inflight_.empty() || session_.declare_exchange(o.exchange)) {
      lost(session_.last_error());
      b.finish(errc::unavailable);
      return false;
    }
    declared_.push_back(o.exchange);
  }
  if (b.size == 0) {
    b.finish({});
    return true;
  }
  b.first_seq = next_seq_;
  b.settled.assign(b.size, false);
  b.remaining = b.size;
  for (const auto& o : b.items) {
    encoded_properties props(o.msg, o.attempts_before);
    int status = amqp_basic_publish(session_.get(), session::k_channel, bytes_of(o.exchange),
                                    bytes_of(o.routing_key), /*mandatory=*/1, /*immediate=*/0,
                                    props.get(), bytes_of(o.msg.body));
    if (status != AMQP_STATUS_OK) {
      inflight_.push_back(std::move(b));  // lost() fails it with the rest
      lost(std::string("publish: ") + amqp_error_string2(status));
      return false;
    }
    ++next_seq_;
  }
  b.items.clear();  // the broker has the bodies now; keep only the bookkeeping
  b.items.shrink_to_fit();
  inflight_msgs_ += b.size;
  inflight_.push_back(std::move(b));
  return true;
}

bool publisher::read_confirms(std::chrono::milliseconds wait) {
  timeval tv = to_timeval(wait);
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
    if (inflight_.empty() && wait.count() == 0) break;
  }
  amqp_maybe_release_buffers(session_.get());
  return true;
}

void publisher::settle(std::uint64_t tag, bool multiple, std::error_code ec) {
  for (auto& b : inflight_) {
    if (b.first_seq > tag) break;
    std::uint64_t last = b.first_seq + b.size - 1;
    std::uint64_t from = multiple ? b.first_seq + b.low : std::max(tag, b.first_seq);
    std::uint64_t to = std::min(tag, last);
    for (std::uint64_t s = from; s <= to; ++s) {
      std::size_t i = s - b.first_seq;
      if (b.settled[i]) continue;
      b.settled[i] = true;
      --b.remaining;
      --inflight_msgs_;
      if (ec && !b.error) b.error = ec;
    }
    while (b.low < b.size && b.settled[b.low]) ++b.low;
    if (b.remaining == 0) b.finish(b.error);
  }
  while (!inflight_.empty() && inflight_.front().remaining == 0) inflight_.pop_front();
}

void publisher::lost(const std::string& why) {
  if (session_.is_open() || !inflight_.empty()) {
    observe::warn("rabbitmq publisher lost its connection", {{"error", why}});
  }
  session_.drop();
  connected_ = false;
  for (auto& b : inflight_) b.finish(errc::unavailable);
  inflight_.clear();
  inflight_msgs_ = 0;
}

void publisher::fail_all(std::error_code ec) {
  std::deque<batch> queued;
  {
    std::lock_guard lock(mu_);
    queued.swap(queue_);
    queued_msgs_ = 0;
  }
  for (auto& b : inflight_) b.finish(ec);
  inflight_.clear();
  inflight_msgs_ = 0;
  for (auto& b : queued) b.finish(ec);
}

}  // namespace sluice::broker::rabbitmq
