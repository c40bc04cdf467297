// The RabbitMQ broker: names, the consumer pool, and the glue between the
// publisher thread (publisher.cpp), the consumers (consumer.cpp) and a
// control connection for declares and depth (amqp_session.cpp).

#include "broker/rabbitmq/rabbitmq_broker.hpp"

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <unordered_map>

#include "broker/rabbitmq/amqp_session.hpp"
#include "broker/rabbitmq/consumer.hpp"
#include "broker/dedup_cache.hpp"
#include "broker/rabbitmq/publisher.hpp"
#include "observe/log.hpp"

namespace sluice::broker {
namespace {

using namespace std::chrono_literals;
using rabbitmq::consumer;
using rabbitmq::outgoing;
using rabbitmq::receipt;

constexpr std::chrono::seconds k_republish_limit{30};

class rabbitmq_broker final : public broker {
 public:
  rabbitmq_broker(const rabbitmq_broker_options& o, rabbitmq::endpoint where)
      : options_(o),
        where_(std::move(where)),
        dedup_(o.dedup_window, o.dedup_capacity),
        publisher_(publisher_options_of(o, where_)) {}
  ~rabbitmq_broker() override { close(); }

  bool wait_connected() { return publisher_.wait_connected(options_.connect_timeout + 500ms); }

  std::error_code declare(std::span<const topology> subscriptions) override {
    return with_control([&](rabbitmq::session& s) -> std::error_code {
      for (const auto& t : subscriptions) {
        if (auto ec = s.declare_exchange(name(t.topic))) return ec;
        if (auto ec = s.declare_queue(name(t.subscription), options_.queue_type, name(t.topic))) {
          return ec;
        }
      }
      return {};
    });
  }

  void publish(std::vector<message> messages, publish_callback done) override {
    if (closed_) return done(errc::closed);
    std::vector<outgoing> out;
    out.reserve(messages.size());
    std::vector<message> keyed;  // Idempotency-Key ids to remember once confirmed
    for (auto& m : messages) {
      if (m.deduplicate) {
        auto v = dedup_.check(m);
        if (v == dedup_cache::verdict::conflict) return done(errc::conflict);
        if (v == dedup_cache::verdict::duplicate) continue;
        keyed.push_back(m);
      }
      std::string exchange = name(m.topic);
      out.push_back({std::move(m), std::move(exchange), "", 0});
    }
    if (keyed.empty()) return publisher_.submit(std::move(out), std::move(done));
    publisher_.submit(std::move(out), [this, keyed = std::move(keyed),
                                       done = std::move(done)](std::error_code ec) {
      // Confirmed: a retry is a no-op. Outcome unknown: the ids stay claimed
      // by this request (another one conflicts) but its retry is sent again.
      if (!ec || ec == errc::outcome_unknown) {
        for (const auto& m : keyed) dedup_.remember(m, !ec);
      }
      done(ec);
    });
  }

  result<std::vector<delivery>> pull(std::string_view subscription, std::size_t max,
                                     std::chrono::milliseconds wait) override {
    if (closed_) return errc::closed;
    if (max == 0) return std::vector<delivery>{};
    auto c = take_consumer(subscription);
    auto got = [&] {
      std::lock_guard lock(c->mu());
      return c->pull(max, wait, closed_);
    }();
    give_back(std::move(c));
    if (closed_ && (!got || got->empty())) return errc::closed;
    return got;
  }

  std::error_code ack(std::span<const delivery> deliveries) override {
    return settle(deliveries, [](consumer& c, std::span<const receipt> r) { return c.ack(r); });
  }

  std::error_code release(std::span<const delivery> deliveries, std::chrono::milliseconds,
                          bool count_attempt) override {
    if (count_attempt) {
      return settle(deliveries,
                    [](consumer& c, std::span<const receipt> r) { return c.requeue(r); });
    }
    // A requeue would count an attempt: publish a copy that carries the
    // attempts spent so far, then ack the original.
    std::vector<outgoing> copies;
    for (const auto& d : deliveries) {
      copies.push_back({d.msg, "", name(d.subscription), d.attempt > 0 ? d.attempt - 1 : 0});
      copies.back().msg.deduplicate = false;
    }
    auto done = std::make_shared<std::promise<std::error_code>>();
    auto published = done->get_future();
    publisher_.submit(std::move(copies), [done](std::error_code ec) { done->set_value(ec); });
    std::error_code ec = published.wait_for(k_republish_limit) == std::future_status::ready
                             ? published.get()
                             : make_error_code(errc::unavailable);
    if (ec) {
      // Better an extra counted attempt than a lost message.
      (void)settle(deliveries, [](consumer& c, std::span<const receipt> r) { return c.requeue(r); });
      return ec;
    }
    return ack(deliveries);
  }

  result<std::uint64_t> depth(std::string_view subscription) override {
    std::uint64_t ready = 0;
    auto ec = with_control([&](rabbitmq::session& s) -> std::error_code {
      auto n = s.ready_count(name(subscription));
      if (!n) return n.error();
      ready = *n;
      return {};
    });
    if (ec) return ec;
    std::lock_guard lock(pool_mu_);
    for (const auto& [id, c] : consumers_) {
      if (c->subscription() == subscription) ready += c->leased();
    }
    return ready;
  }

  result<std::optional<bool>> holds(std::string_view) override {
    return std::optional<bool>{};  // AMQP cannot look a message up by id
  }

  std::error_code ping() override {
    if (closed_) return errc::closed;
    return publisher_.connected() ? std::error_code{} : make_error_code(errc::unavailable);
  }

  void close() override {
    if (closed_.exchange(true)) return;
    publisher_.close();
    std::vector<std::shared_ptr<consumer>> all;
    {
      std::lock_guard lock(pool_mu_);
      for (const auto& [id, c] : consumers_) all.push_back(c);
    }
    for (const auto& c : all) {
      std::lock_guard lock(c->mu());  // a pull in progress notices closed_ within 100 ms
      c->disconnect();
    }
    std::lock_guard lock(control_mu_);
    control_.reset();
  }

 private:
  static rabbitmq::publisher_options publisher_options_of(const rabbitmq_broker_options& o,
                                                          const rabbitmq::endpoint& where) {
    rabbitmq::publisher_options p;
    p.where = where;
    p.max_pending = o.max_pending;
    p.window = std::max<std::size_t>(1, o.publish_window);
    p.connect_timeout = o.connect_timeout;
    p.retry_max = o.retry_max;
    p.heartbeat = o.heartbeat;
    p.confirm_timeout = o.confirm_timeout;
    return p;
  }

  std::string name(std::string_view s) const {
    return options_.name_space.empty() ? std::string(s) : options_.name_space + "." + std::string(s);
  }

  // Runs `fn` on the control connection; a connection that went stale while
  // idle (e.g. the server restarted) is reopened and `fn` retried once.
  template <class F>
  std::error_code with_control(F&& fn) {
    if (closed_) return errc::closed;
    std::lock_guard lock(control_mu_);
    for (int round = 0; round < 2; ++round) {
      bool fresh = !control_.is_open();
      if (fresh) {
        if (auto ec = control_.open(where_, options_.connect_timeout, 0s)) {
          observe::warn("rabbitmq control connection failed", {{"error", control_.last_error()}});
          return ec;
        }
      }
      auto ec = fn(control_);
      if (!ec || ec == errc::unknown_subscription || fresh) {
        if (ec && ec != errc::unknown_subscription) {
          observe::warn("rabbitmq request failed", {{"error", control_.last_error()}});
        }
        return ec;
      }
    }
    return errc::unavailable;
  }

  std::shared_ptr<consumer> take_consumer(std::string_view subscription) {
    std::lock_guard lock(pool_mu_);
    auto& idle = idle_[std::string(subscription)];
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      return c;
    }
    rabbitmq::consumer_options o{where_, options_.connect_timeout, options_.max_prefetch};
    auto c = std::make_shared<consumer>(next_consumer_++, std::string(subscription),
                                        name(subscription), o);
    consumers_[c->id()] = c;
    return c;
  }

  void give_back(std::shared_ptr<consumer> c) {
    std::lock_guard lock(pool_mu_);
    idle_[c->subscription()].push_back(std::move(c));
  }

  template <class F>
  std::error_code settle(std::span<const delivery> deliveries, F&& fn) {
    std::map<std::uint64_t, std::vector<receipt>> by_consumer;
    for (const auto& d : deliveries) {
      receipt r;
      if (rabbitmq::parse_receipt(d.receipt, r)) by_consumer[r.consumer].push_back(r);
    }
    std::error_code first;
    for (const auto& [id, receipts] : by_consumer) {
      std::shared_ptr<consumer> c;
      {
        std::lock_guard lock(pool_mu_);
        auto it = consumers_.find(id);
        if (it == consumers_.end()) continue;  // not ours: nothing to settle
        c = it->second;
      }
      std::lock_guard lock(c->mu());
      if (auto ec = fn(*c, receipts); ec && !first) first = ec;
    }
    return first;
  }

  const rabbitmq_broker_options options_;
  const rabbitmq::endpoint where_;
  std::atomic<bool> closed_{false};
  dedup_cache dedup_;
  rabbitmq::publisher publisher_;

  std::mutex control_mu_;  // guards control_
  rabbitmq::session control_;

  std::mutex pool_mu_;  // guards idle_, consumers_, next_consumer_
  std::unordered_map<std::string, std::vector<std::shared_ptr<consumer>>> idle_;
  std::unordered_map<std::uint64_t, std::shared_ptr<consumer>> consumers_;
  std::uint64_t next_consumer_ = 1;
};

}  // namespace

result<std::unique_ptr<broker>> make_rabbitmq_broker(const rabbitmq_broker_options& options) {
  auto where = rabbitmq::parse_url(options.url);
  if (!where) return where.why();
  if (!options.password.empty()) where->password = options.password;
  auto b = std::make_unique<rabbitmq_broker>(options, std::move(*where));
  b->wait_connected();
  return std::unique_ptr<broker>(std::move(b));
}

}  // namespace sluice::broker
