#include "broker/nats/publisher.hpp"

#include <charconv>

#include "broker/nats/codec.hpp"

namespace sluice::broker::nats {
namespace {

constexpr int k_ack_poll_ms = 100;

std::uint64_t token_of(natsMsg* msg) {
  std::string_view subject = natsMsg_GetSubject(msg);
  auto dot = subject.rfind('.');
  if (dot == std::string_view::npos) return 0;
  std::uint64_t token = 0;
  auto tail = subject.substr(dot + 1);
  auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), token);
  return ec == std::errc() && end == tail.data() + tail.size() ? token : 0;
}

}  // namespace

std::unique_ptr<publisher> publisher::start(link& l, const publisher_options& options) {
  std::unique_ptr<publisher> p(new publisher(l, options));
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) return nullptr;
  p->inbox_ = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* sub = nullptr;
  std::string filter = p->inbox_ + ".*";
  if (natsConnection_SubscribeSync(&sub, l.connection(), filter.c_str()) != NATS_OK) return nullptr;
  p->acks_.reset(sub);
  // PubAcks are tiny and must never be dropped as a "slow consumer".
  natsSubscription_SetPendingLimits(sub, -1, -1);
  p->sender_ = std::thread([raw = p.get()] { raw->send_loop(); });
  p->acker_ = std::thread([raw = p.get()] { raw->ack_loop(); });
  return p;
}

publisher::~publisher() {
  close();
}

void publisher::submit(std::vector<message> messages, publish_callback done) {
  const auto n = messages.size();
  std::error_code refused;
  {
    std::lock_guard lock(mu_);
    if (closing_) {
      refused = errc::closed;
    } else if (!link_.connected()) {
      refused = errc::unavailable;
    } else if (pending_ > 0 && pending_ + n > options_.max_pending) {
      // An oversized call is still let in alone: refusing it would be forever.
      refused = errc::overloaded;
    } else if (n > 0) {
      pending_ += n;
      auto c = std::make_shared<call>(call{std::move(done), n, false});
      queue_.push_back(job{std::move(messages), std::move(c)});
    }
  }
  if (refused) {
    done(refused);
    return;
  }
  if (n == 0) {
    done({});
    return;
  }
  wake_.notify_one();
}

void publisher::send_loop() {
  for (;;) {
    std::deque<job> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_
      batch.swap(queue_);
      sending_ = true;
    }
    for (auto& j : batch) send(j);
    {
      std::lock_guard lock(mu_);
      sending_ = false;
    }
    idle_.notify_all();
  }
}

void publisher::send(job& j) {
  const auto n = j.messages.size();
  std::uint64_t first = 0;
  {
    // Registered before sending: the PubAck can beat the return of the publish.
    std::lock_guard lock(mu_);
    first = next_token_;
    next_token_ += n;
    auto deadline = std::chrono::steady_clock::now() + options_.ack_timeout;
    for (std::size_t i = 0; i < n; ++i)
      in_flight_.emplace_hint(in_flight_.end(), first + i, in_flight{j.c, deadline});
  }
  natsConnection* conn = link_.connection();
  std::vector<completion> out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& m = j.messages[i];
    natsStatus s = NATS_NOT_YET_CONNECTED;
    if (link_.connected()) {
      auto msg = encode(m, subject_name(options_.name_space, m.topic),
                        inbox_ + "." + std::to_string(first + i));
      s = msg ? natsConnection_PublishMsg(conn, msg.get()) : NATS_ERR;
    }
    if (s == NATS_OK) continue;
    std::lock_guard lock(mu_);
    if (in_flight_.erase(first + i) > 0) {
      --pending_;
      settle(j.c, errc::unavailable, out);
    }
  }
  run(out);
}

void publisher::ack_loop() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw, acks_.get(), k_ack_poll_ms);
    handle<natsMsg> reply(raw);
    std::vector<completion> out;
    bool idle = false;
    {
      std::lock_guard lock(mu_);
      if (reply) {
        auto it = in_flight_.find(token_of(reply.get()));
        if (it != in_flight_.end()) {
          auto c = std::move(it->second.c);
          in_flight_.erase(it);
          --pending_;
          settle(c, puback_ok(reply.get()) ? std::error_code{} : errc::unavailable, out);
        }
      }
      // Tokens rise with time, and so do deadlines: the expired are in front.
      auto now = std::chrono::steady_clock::now();
      while (!in_flight_.empty() && in_flight_.begin()->second.deadline <= now) {
        settle(in_flight_.begin()->second.c, errc::unavailable, out);
        in_flight_.erase(in_flight_.begin());
        --pending_;
      }
      idle = pending_ == 0;
    }
    run(out);
    if (idle) idle_.notify_all();
    if (s != NATS_OK && s != NATS_TIMEOUT)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void publisher::fail_in_flight() {
  std::vector<completion> out;
  {
    std::lock_guard lock(mu_);
    for (auto& [token, f] : in_flight_) settle(f.c, errc::unavailable, out);
    pending_ -= in_flight_.size();
    in_flight_.clear();
  }
  run(out);
  idle_.notify_all();
}

void publisher::close() {
  {
    std::unique_lock lock(mu_);
    if (stop_) return;
    closing_ = true;
    wake_.notify_all();
    idle_.wait_for(lock, options_.ack_timeout + std::chrono::seconds(1),
                   [this] { return queue_.empty() && !sending_ && in_flight_.empty(); });
    stop_ = true;
  }
  wake_.notify_all();
  if (sender_.joinable()) sender_.join();
  if (acker_.joinable()) acker_.join();
  std::vector<completion> out;
  {
    std::lock_guard lock(mu_);
    for (auto& j : queue_) settle(j.c, errc::closed, out);
    for (auto& [token, f] : in_flight_) settle(f.c, errc::unavailable, out);
    queue_.clear();
    in_flight_.clear();
    pending_ = 0;
  }
  run(out);
}

void publisher::settle(const std::shared_ptr<call>& c, std::error_code ec,
                       std::vector<completion>& out) {
  if (c->finished) return;
  if (ec || --c->remaining == 0) {
    c->finished = true;
    out.emplace_back(std::move(c->done), ec);
  }
}

void publisher::run(std::vector<completion>& out) {
  for (auto& [done, ec] : out) done(ec);
  out.clear();
}

}  // namespace sluice::broker::nats
