#include "broker/nats/publisher.hpp"

#include <charconv>
#include <thread>
#include <vector>

#include "broker/nats/codec.hpp"
#include "broker/nats/duplicates.hpp"
#include "observe/log.hpp"

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
  group_sender<message>& sender = *p;
  p->queue_ = std::make_unique<publish_queue<message>>(
      sender, publish_queue_options{.max_pending = options.max_pending,
                                .max_group = options.max_group,
                                .drain_limit = options.ack_timeout + std::chrono::seconds(1)});
  return p;
}

publisher::~publisher() {
  close();
}

std::error_code publisher::refuse() {
  return link_.connected() ? std::error_code{} : make_error_code(errc::unavailable);
}

void publisher::send(std::span<message> items, std::span<const std::size_t> /*calls*/,
                     std::span<std::error_code> out) {
  replay();  // what a drop may have lost goes first
  publish_group(items, out, true);
  const auto now = clock::now();
  // The queue reads no item after send(): the acknowledged ones move here.
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!out[i]) remember(std::move(items[i]), now);
  }
}

std::optional<publisher::clock::time_point> publisher::wake_at() {
  if (dropped_.load() != replayed_drops_) return clock::now();
  if (replay_.empty()) return std::nullopt;
  return clock::now() + std::chrono::milliseconds(k_ack_poll_ms);
}

void publisher::on_wake() {
  replay();
}

void publisher::remember(message&& m, clock::time_point now) {
  while (!recent_.empty() &&
         (recent_.front().at + options_.replay_window < now || recent_.size() >= options_.replay_limit)) {
    recent_.pop_front();
  }
  if (options_.replay_limit > 0) recent_.push_back({now, std::move(m)});
}

void publisher::replay() {
  if (const auto drops = dropped_.load(); drops != replayed_drops_) {
    replayed_drops_ = drops;
    const auto drop_at = clock::time_point(clock::duration(last_drop_ns_.load()));
    for (auto& r : recent_) {
      if (r.at + options_.replay_window >= drop_at) replay_.push_back(std::move(r.msg));
    }
    recent_.clear();
    if (replay_.size() > options_.replay_limit) {
      replay_.erase(replay_.begin(),
                    replay_.begin() + static_cast<std::ptrdiff_t>(replay_.size() - options_.replay_limit));
    }
  }
  if (replay_.empty() || !link_.connected()) return;
  std::vector<std::error_code> out(replay_.size());
  // A duplicate is the stored original of this very message: nothing to judge.
  publish_group(replay_, out, false);
  std::vector<message> again;
  std::size_t stored = 0;
  const auto now = clock::now();
  for (std::size_t i = 0; i < replay_.size(); ++i) {
    if (!out[i]) {
      ++stored;
      remember(std::move(replay_[i]), now);  // a drop now would need it again
    } else {
      again.push_back(std::move(replay_[i]));
    }
  }
  observe::warn("nats publisher replayed the messages acknowledged just before a disconnect",
                {{"replayed", std::to_string(stored)}, {"to_retry", std::to_string(again.size())}});
  replay_ = std::move(again);
}

void publisher::publish_group(std::span<const message> items, std::span<std::error_code> out,
                              bool judge_duplicates) {
  const auto n = items.size();
  const auto dropped = dropped_.load();
  const std::uint64_t first = next_token_;
  next_token_ += n;
  // Publish all, then collect the PubAcks: one round trip for the group.
  natsConnection* conn = link_.connection();
  std::size_t waiting = 0;
  std::vector<bool> acked(n, false);
  std::vector<std::pair<std::size_t, std::uint64_t>> duplicates;  // item, kept sequence
  for (std::size_t i = 0; i < n; ++i) {
    const auto& m = items[i];
    natsStatus s = NATS_NOT_YET_CONNECTED;
    if (link_.connected()) {
      auto msg = encode(m, subject_name(options_.name_space, m.topic),
                        inbox_ + "." + std::to_string(first + i));
      s = msg ? natsConnection_PublishMsg(conn, msg.get()) : NATS_ERR;
    }
    if (s == NATS_OK) {
      ++waiting;
    } else {
      out[i] = errc::unavailable;
      acked[i] = true;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.ack_timeout;
  while (waiting > 0 && dropped_.load() == dropped &&
         std::chrono::steady_clock::now() < deadline) {
    natsMsg* raw = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw, acks_.get(), k_ack_poll_ms);
    handle<natsMsg> reply(raw);
    if (reply) {
      // A late PubAck of an earlier group has a token below `first`: ignored.
      auto token = token_of(reply.get());
      if (token >= first && token < first + n && !acked[token - first]) {
        acked[token - first] = true;
        --waiting;
        if (!puback_ok(reply.get())) {
          out[token - first] = errc::unavailable;
        } else if (auto kept = duplicate_of(reply.get())) {
          duplicates.emplace_back(token - first, *kept);
        }
      }
    } else if (s != NATS_OK && s != NATS_TIMEOUT) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  // Sent, but no PubAck in time or the connection dropped: may or may not be
  // stored (issue 11 #27). Those never sent were marked unavailable above.
  for (std::size_t i = 0; i < n; ++i) {
    if (!acked[i]) out[i] = errc::outcome_unknown;
  }
  // Dropped as duplicates: a no-op only for the same message (issue 11 #9).
  if (!judge_duplicates) return;
  for (const auto& [i, seq] : duplicates) {
    const auto& m = items[i];
    out[i] = judge_duplicate(link_.jetstream(), stream_name(options_.name_space, m.topic), seq, m);
  }
}

}  // namespace sluice::broker::nats
