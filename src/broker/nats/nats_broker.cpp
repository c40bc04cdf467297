// The JetStream broker: declare, pull, ack, release, depth. Publishing lives
// in publisher.cpp, the connection in link.cpp, the JetStream API calls in
// topology.cpp (contract and deviations in nats_broker.hpp).
//
// Pulls run on the caller's (worker) thread: one bound pull subscription per
// subscription name, created on first use, with a mutex because libnats
// allows one Fetch at a time per subscription. Acks and releases are plain
// publishes to the delivery's "$JS.ACK…" reply subject (kept in the receipt,
// so no natsMsg outlives pull()), followed by one flush round trip.

#include "broker/nats/nats_broker.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "broker/nats/attempt_ledger.hpp"
#include "broker/nats/codec.hpp"
#include "broker/nats/handles.hpp"
#include "broker/nats/link.hpp"
#include "broker/nats/publisher.hpp"
#include "broker/nats/topology.hpp"

namespace sluice::broker {
namespace {

using nats::consumer_location;
using nats::handle;

struct binding {
  std::mutex mu;  // one Fetch at a time; guards sub and where
  handle<natsSubscription> sub;
  consumer_location where;
};

class nats_broker final : public broker {
 public:
  nats_broker(const nats_broker_options& o, std::unique_ptr<nats::link> l,
              std::unique_ptr<nats::publisher> p)
      : options_(o),
        link_(std::move(l)),
        publisher_(std::move(p)),
        ledger_({.bucket = nats::sanitise(o.name_space) + "_attempts", .replicas = o.replicas}) {
    link_->on_disconnect([this] { publisher_->fail_in_flight(); });
  }

  ~nats_broker() override { close(); }

  std::error_code declare(std::span<const topology> subscriptions) override {
    if (closed()) return errc::closed;
    if (!link_->wait_connected(options_.request_timeout)) return errc::unavailable;
    jsCtx* js = link_->jetstream();
    std::set<std::string> topics;
    for (const auto& t : subscriptions) {
      if (!topics.insert(t.topic).second) continue;
      nats::stream_spec s{nats::stream_name(ns(), t.topic), nats::subject_name(ns(), t.topic),
                          options_.dedup_window, options_.replicas};
      if (auto ec = nats::ensure_stream(js, s)) return ec;
    }
    for (const auto& t : subscriptions) {
      nats::consumer_spec c{
          nats::stream_name(ns(), t.topic), nats::consumer_name(ns(), t.subscription),
          nats::subject_name(ns(), t.topic), options_.visibility_timeout, options_.max_ack_pending};
      if (auto ec = nats::ensure_consumer(js, c)) return ec;
      std::lock_guard lock(mu_);
      declared_[t.subscription] = {c.stream, c.subject};
    }
    return {};
  }

  void publish(std::vector<message> messages, publish_callback done) override {
    publisher_->submit(std::move(messages), std::move(done));
  }

  result<std::vector<delivery>> pull(std::string_view subscription, std::size_t max,
                                     std::chrono::milliseconds wait) override {
    if (closed()) return errc::closed;
    if (!link_->connected() && !link_->wait_connected(wait)) return errc::unavailable;
    std::vector<delivery> out;
    if (max == 0) return out;
    auto b = binding_of(subscription);
    std::lock_guard lock(b->mu);
    if (closed()) return errc::closed;
    if (!b->sub) {
      if (auto ec = bind(subscription, *b)) return ec;
    }
    nats::msg_list batch;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    int n = static_cast<int>(std::min<std::size_t>(max, 1 << 20));
    natsStatus s = natsSubscription_Fetch(&batch.list, b->sub.get(), n,
                                          std::max<std::int64_t>(1, wait.count()), &jerr);
    if (s != NATS_OK && s != NATS_TIMEOUT && batch.list.Count == 0) {
      if (closed()) return errc::closed;
      b->sub.reset();  // bind afresh next time (the consumer may have moved or gone)
      return jerr == JSConsumerNotFoundErr ? errc::unknown_subscription : errc::unavailable;
    }
    out.reserve(static_cast<std::size_t>(batch.list.Count));
    const std::string consumer = nats::consumer_name(ns(), subscription);
    bool unreadable = false;
    for (int i = 0; i < batch.list.Count; ++i) {
      natsMsg* m = batch.list.Msgs[i];
      jsMsgMetaData* raw = nullptr;
      if (natsMsg_GetMetaData(&raw, m) != NATS_OK) continue;  // not a JetStream delivery
      handle<jsMsgMetaData> meta(raw);
      const char* reply = natsMsg_GetReply(m);
      if (reply == nullptr) continue;
      const std::uint64_t delivered = std::max<std::uint64_t>(meta->NumDelivered, 1);
      auto attempt =
          ledger_.attempt(link_->jetstream(), consumer, meta->Sequence.Stream, delivered);
      if (!attempt) {
        // Without the ledger the attempt is unknown: hand it back now rather
        // than guess (this delivery then counts, as a lease expiry would).
        (void)natsConnection_PublishString(link_->connection(), reply, "-NAK");
        unreadable = true;
        continue;
      }
      delivery d;
      d.msg = nats::decode(m, topic_of(b->where.subject));
      d.subscription = std::string(subscription);
      d.attempt = *attempt;
      d.receipt = nats::make_receipt(meta->Sequence.Stream, delivered, reply);
      out.push_back(std::move(d));
    }
    if (out.empty() && unreadable) return errc::unavailable;
    return out;
  }

  std::error_code ack(std::span<const delivery> deliveries) override {
    auto ec = answer(deliveries, "+ACK");
    if (ec) return ec;
    for (const auto& d : deliveries) {
      auto r = nats::parse_receipt(d.receipt);
      // Only a delivery reported below the server's count has a ledger entry.
      if (r && d.attempt < r->delivered) {
        ledger_.forget(link_->jetstream(), nats::consumer_name(ns(), d.subscription),
                       r->stream_seq);
      }
    }
    return {};
  }

  std::error_code release(std::span<const delivery> deliveries, std::chrono::milliseconds delay,
                          bool count_attempt) override {
    std::string nak = "-NAK";
    if (delay.count() > 0) nak += " {\"delay\":" + std::to_string(delay.count() * 1'000'000) + "}";
    std::error_code recorded;
    if (!count_attempt) {
      if (closed()) return errc::closed;
      if (!link_->connected()) return errc::unavailable;
      // Recorded before the NAK: if the NAK is lost, the lease expiry's
      // redelivery is the uncounted one instead.
      for (const auto& d : deliveries) {
        auto r = nats::parse_receipt(d.receipt);
        if (!r) continue;
        auto ec = ledger_.uncount(link_->jetstream(), nats::consumer_name(ns(), d.subscription),
                                  r->stream_seq, r->delivered, d.attempt);
        if (ec && !recorded) recorded = ec;
      }
    }
    // Handed back even when the ledger failed: an extra counted attempt is
    // better than a message held until its lease expires.
    auto ec = answer(deliveries, nak);
    return ec ? ec : recorded;
  }

  result<std::uint64_t> depth(std::string_view subscription) override {
    if (closed()) return errc::closed;
    if (!link_->connected()) return errc::unavailable;
    auto where = locate(subscription);
    if (!where) return where.error();
    return nats::consumer_depth(link_->jetstream(), where->stream,
                                nats::consumer_name(ns(), subscription));
  }

  result<std::optional<bool>> holds(std::string_view) override { return std::optional<bool>{}; }

  std::error_code ping() override {
    if (closed()) return errc::closed;
    if (!link_->connected()) return errc::unavailable;
    return nats::jetstream_ping(
        link_->jetstream(), std::min(options_.request_timeout, std::chrono::milliseconds(2000)));
  }

  void close() override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    publisher_->close();  // completes accepted publishes (PubAcks or their timeout)
    link_->close();       // wakes Fetches blocked on the connection
    std::vector<std::shared_ptr<binding>> all;
    {
      std::lock_guard lock(mu_);  // never held while waiting for a binding's mutex
      for (auto& [name, b] : bindings_) all.push_back(b);
    }
    for (auto& b : all) {
      std::lock_guard lock(b->mu);
      b->sub.reset();
    }
  }

 private:
  const std::string& ns() const { return options_.name_space; }

  bool closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

  // The topic part of "<namespace>.<topic>", for messages without Sluice-Topic.
  static std::string topic_of(const std::string& subject) {
    auto dot = subject.find('.');
    return dot == std::string::npos ? subject : subject.substr(dot + 1);
  }

  std::shared_ptr<binding> binding_of(std::string_view subscription) {
    std::lock_guard lock(mu_);
    auto& b = bindings_[std::string(subscription)];
    if (!b) b = std::make_shared<binding>();
    return b;
  }

  // Where the consumer lives: declared here, or looked up (another process declared it).
  result<consumer_location> locate(std::string_view subscription) {
    {
      std::lock_guard lock(mu_);
      auto it = declared_.find(std::string(subscription));
      if (it != declared_.end()) return it->second;
    }
    auto found = nats::find_consumer(link_->jetstream(), nats::sanitise(ns()) + "_",
                                     nats::consumer_name(ns(), subscription));
    if (found) {
      std::lock_guard lock(mu_);
      declared_[std::string(subscription)] = *found;
    }
    return found;
  }

  // REQUIRES: b.mu held.
  std::error_code bind(std::string_view subscription, binding& b) {
    auto where = locate(subscription);
    if (!where) return where.error();
    std::string consumer = nats::consumer_name(ns(), subscription);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = where->stream.c_str();
    so.Consumer = consumer.c_str();
    natsSubscription* raw = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_PullSubscribe(&raw, link_->jetstream(), where->subject.c_str(),
                                    consumer.c_str(), nullptr, &so, &jerr);
    if (s != NATS_OK) {
      if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
        std::lock_guard lock(mu_);
        declared_.erase(std::string(subscription));
        return errc::unknown_subscription;
      }
      return errc::unavailable;
    }
    b.sub.reset(raw);
    natsSubscription_SetPendingLimits(raw, -1, -1);
    b.where = *where;
    return {};
  }

  // Publishes `verb` to each delivery's ack subject, then one flush round
  // trip so that {} means the server has them.
  std::error_code answer(std::span<const delivery> deliveries, const std::string& verb) {
    if (closed()) return errc::closed;
    if (!link_->connected()) return errc::unavailable;
    natsConnection* conn = link_->connection();
    bool sent = false;
    for (const auto& d : deliveries) {
      auto r = nats::parse_receipt(d.receipt);
      if (!r) continue;  // not ours: nothing to answer
      std::string reply(r->reply);
      if (natsConnection_PublishString(conn, reply.c_str(), verb.c_str()) != NATS_OK) {
        return errc::unavailable;
      }
      sent = true;
    }
    if (sent && natsConnection_FlushTimeout(conn, options_.request_timeout.count()) != NATS_OK) {
      return errc::unavailable;
    }
    return {};
  }

  nats_broker_options options_;
  std::unique_ptr<nats::link> link_;
  std::unique_ptr<nats::publisher> publisher_;
  nats::attempt_ledger ledger_;

  std::mutex mu_;  // guards closed_, declared_, bindings_ (not the bindings' contents)
  bool closed_ = false;
  std::map<std::string, consumer_location> declared_;
  std::map<std::string, std::shared_ptr<binding>> bindings_;
};

}  // namespace

result<std::unique_ptr<broker>> make_nats_broker(const nats_broker_options& options) {
  auto l = nats::link::open(
      {options.url, options.request_timeout, options.reconnect_min, options.reconnect_max});
  if (!l) {
    // The NATS client's words for why (thread-local: set by the call that failed),
    // without its "(url.c:42): " source location.
    natsStatus s = NATS_OK;
    const char* words = nats_GetLastError(&s);
    if (words == nullptr || *words == '\0') return l.why();
    std::string_view text(words);
    if (auto end = text.find("): "); text.front() == '(' && end != std::string_view::npos) {
      text.remove_prefix(end + 3);
    }
    return {l.error(), std::string(text)};
  }
  auto p = nats::publisher::start(
      **l, {.name_space = options.name_space,
            .max_pending = options.max_pending,
            .ack_timeout = options.publish_timeout});
  if (!p) return errc::unavailable;
  return std::unique_ptr<broker>(
      std::make_unique<nats_broker>(options, std::move(*l), std::move(p)));
}

}  // namespace sluice::broker
