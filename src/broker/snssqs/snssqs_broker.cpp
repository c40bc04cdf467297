// The SNS/SQS broker: declare, pull, ack, release, depth, ping. Publishing
// lives in publisher.cpp, the calls in link.cpp and topology.cpp (contract
// and deviations in snssqs_broker.hpp).
//
// Pulls, acks and releases run on the caller's (worker) thread, which waits
// for the HTTP calls the client runs on its own thread; several calls of one
// operation run at once.

#include "broker/snssqs/snssqs_broker.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json/array.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "aws/credentials.hpp"
#include "broker/snssqs/codec.hpp"
#include "broker/snssqs/link.hpp"
#include "broker/snssqs/names.hpp"
#include "broker/snssqs/publisher.hpp"
#include "broker/snssqs/topology.hpp"
#include "observe/log.hpp"

namespace sluice::broker {
namespace {

namespace json = boost::json;
using namespace snssqs;

constexpr std::int64_t k_max_visibility_s = 43'200;  // SQS: 12 hours
constexpr std::int64_t k_max_delay_s = 900;          // SQS DelaySeconds: 15 minutes
constexpr std::int64_t k_max_wait_s = 20;            // SQS long polling

std::int64_t whole_seconds(std::chrono::milliseconds d, std::int64_t max) {
  return std::clamp<std::int64_t>((d.count() + 999) / 1000, 0, max);
}

// Runs SQS calls at once and waits for all their answers (in order).
std::vector<result<aws::response>> all(link& l, std::string_view action,
                                       const std::vector<json::object>& bodies,
                                       std::chrono::milliseconds timeout) {
  struct state {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t left = 0;
    std::vector<std::optional<result<aws::response>>> out;
  };
  auto st = std::make_shared<state>();
  st->left = bodies.size();
  st->out.resize(bodies.size());
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    l.sqs(action, bodies[i], timeout, [st, i](result<aws::response> r) {
      std::lock_guard lock(st->mu);
      st->out[i].emplace(std::move(r));
      if (--st->left == 0) st->cv.notify_all();
    });
  }
  std::unique_lock lock(st->mu);
  st->cv.wait(lock, [&] { return st->left == 0; });
  std::vector<result<aws::response>> out;
  out.reserve(bodies.size());
  for (auto& r : st->out) out.push_back(std::move(*r));
  return out;
}

// The first failure among batch answers; entries a batch answer lists as
// failed with a code other than an expired receipt count too.
std::error_code batch_error(const std::vector<result<aws::response>>& answers,
                            std::string_view what) {
  for (const auto& r : answers) {
    if (!r || !r->ok()) return failure_of(r, what).code;
    for (const auto& [id, code] : parse_sqs_batch(r->body).failed) {
      (void)id;
      // The lease expired and the message was received again (or is gone):
      // acking or releasing it is a no-op by contract.
      if (code == "ReceiptHandleIsInvalid" || code == "MessageNotInflight" ||
          code.find("InvalidReceiptHandle") != std::string::npos) {
        continue;
      }
      return errc::unavailable;
    }
  }
  return {};
}

class snssqs_broker final : public broker {
 public:
  snssqs_broker(const snssqs_broker_options& o, std::unique_ptr<link> l)
      : options_(o),
        link_(std::move(l)),
        publisher_(*link_, {.name_space = o.name_space,
                            .fifo = o.fifo,
                            .group_field = o.group_field,
                            .max_pending = o.max_pending,
                            .timeout = o.request_timeout,
                            .dedup_window = o.dedup_window}) {
    publisher_.before_send([this] { heal(); });
  }

  ~snssqs_broker() override { close(); }

  std::error_code declare(std::span<const topology> subscriptions) override {
    if (closed()) return errc::closed;
    {
      std::lock_guard lock(mu_);
      for (const auto& t : subscriptions) {
        bool known = false;
        for (const auto& d : declared_)
          known = known || (d.subscription == t.subscription && d.topic == t.topic);
        if (!known) declared_.push_back(t);
      }
    }
    auto failed = ensure(subscriptions);
    if (failed.code && failed.code != errc::closed) {
      // The interface carries only the code ("broker unavailable"): the
      // call and the AWS or TLS words go to the log here.
      observe::error("sns/sqs topology could not be declared", {{"error", failed.message()}});
    }
    return failed.code;
  }

  // What declare() creates (idempotent); a failure with the words of the
  // call that failed (code {} on success).
  failure ensure(std::span<const topology> subscriptions) {
    const auto visibility =
        std::chrono::seconds(whole_seconds(options_.visibility_timeout, k_max_visibility_s));
    for (const auto& t : subscriptions) {
      auto arn = publisher_.create_topic(t.topic);
      if (!arn) return arn.why();
      auto q = ensure_queue(*link_, queue_name(ns(), t.subscription, options_.fifo), options_.fifo,
                            visibility, options_.request_timeout);
      if (!q) return q.why();
      if (auto f = ensure_subscription(*link_, *arn, *q, options_.request_timeout); f.code) {
        return f;
      }
      std::lock_guard lock(mu_);
      queues_[t.subscription] = q->url;
      topics_[t.subscription] = t.topic;
    }
    return {};
  }

  void publish(std::vector<message> messages, publish_callback done) override {
    publisher_.submit(std::move(messages), std::move(done));
  }

  result<std::vector<delivery>> pull(std::string_view subscription, std::size_t max,
                                     std::chrono::milliseconds wait) override {
    if (closed()) return errc::closed;
    std::vector<delivery> out;
    if (max == 0) return out;
    heal();
    auto url = queue_url(subscription);
    if (!url) return url.error();
    const auto started = std::chrono::steady_clock::now();
    const auto wait_s = std::clamp<std::int64_t>(
        std::max<std::int64_t>(wait.count() / 1000, options_.min_wait.count()), 0, k_max_wait_s);
    // One long poll first: an idle queue costs one call per wait.
    auto first =
        all(*link_, "ReceiveMessage", {receive(*url, std::min(max, k_max_batch_entries), wait_s)},
            options_.request_timeout + std::chrono::seconds(wait_s));
    if (!first[0] || !first[0]->ok()) {
      if (closed()) return errc::closed;
      return failure_of(first[0], "SQS ReceiveMessage").code;
    }
    auto got = parse_receive(first[0]->body);
    if (got.empty() && wait_s == 0) {
      // A short poll found nothing: the rest of the wait, so that an idle
      // caller does not spin on requests.
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, started + wait, [this] { return closed_; });
      return out;
    }
    bool full = got.size() >= k_max_batch_entries;
    add(out, std::move(got), subscription);
    // It came back full: more are waiting. Fill the pull with calls at once
    // (short polls: they answer with what is there).
    while (full && out.size() < max && !closed()) {
      const std::size_t need = max - out.size();
      const std::size_t calls =
          std::min(options_.max_receives, (need + k_max_batch_entries - 1) / k_max_batch_entries);
      std::vector<json::object> bodies;
      std::size_t asked = 0;
      for (std::size_t c = 0; c < calls; ++c) {
        auto n = std::min(k_max_batch_entries, need - asked);
        asked += n;
        bodies.push_back(receive(*url, n, 0));
      }
      full = true;
      for (auto& r : all(*link_, "ReceiveMessage", bodies, options_.request_timeout)) {
        if (!r || !r->ok()) {
          full = false;  // what was received so far is returned; the rest waits
          continue;
        }
        auto more = parse_receive(r->body);
        if (more.size() < k_max_batch_entries) full = false;
        add(out, std::move(more), subscription);
      }
    }
    return out;
  }

  std::error_code ack(std::span<const delivery> deliveries) override {
    if (closed()) return errc::closed;
    auto bodies = handle_batches(deliveries, {});
    if (!bodies) return bodies.error();
    if (bodies->empty()) return {};
    return batch_error(all(*link_, "DeleteMessageBatch", *bodies, options_.request_timeout),
                       "SQS DeleteMessageBatch");
  }

  std::error_code release(std::span<const delivery> deliveries, std::chrono::milliseconds delay,
                          bool count_attempt) override {
    if (closed()) return errc::closed;
    if (deliveries.empty()) return {};
    if (count_attempt) return change_visibility(deliveries, delay);
    return replace_by_copies(deliveries, delay);
  }

  result<std::uint64_t> depth(std::string_view subscription) override {
    if (closed()) return errc::closed;
    auto url = queue_url(subscription);
    if (!url) return url.error();
    return queue_depth(*link_, *url, options_.request_timeout);
  }

  result<std::optional<bool>> holds(std::string_view) override { return std::optional<bool>{}; }

  // SNS/SQS's 256 KiB, less what Sluice's own attributes may take.
  std::size_t max_record_bytes() const override {
    return k_max_message_bytes - k_attribute_reserve;
  }

  std::error_code ping() override {
    if (closed()) return errc::closed;
    std::string url;
    {
      std::lock_guard lock(mu_);
      if (!queues_.empty()) url = queues_.begin()->second;
    }
    const auto timeout = std::min(options_.request_timeout, std::chrono::milliseconds(2000));
    if (!url.empty()) {
      auto r = link_->sqs_sync(
          "GetQueueAttributes",
          json::object{{"QueueUrl", url}, {"AttributeNames", json::array{"QueueArn"}}}, timeout);
      return r && r->ok() ? std::error_code{} : failure_of(r, "SQS GetQueueAttributes").code;
    }
    auto r = link_->sns_sync({{"Action", "ListTopics"}, {"Version", "2010-03-31"}}, timeout);
    return r && r->ok() ? std::error_code{} : failure_of(r, "SNS ListTopics").code;
  }

  void close() override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    wake_.notify_all();
    publisher_.close();  // completes accepted publishes (their calls' deadlines bound it)
    link_->close();      // wakes long polls
  }

 private:
  const std::string& ns() const { return options_.name_space; }

  bool closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

  // After an outage: declares again what this process declared (the
  // server may have lost it, e.g. a restarted emulator). Once per recovery.
  void heal() {
    const auto n = link_->recoveries();
    if (n == healed_.load()) return;
    std::lock_guard once(heal_mu_);
    if (n == healed_.load()) return;
    std::vector<topology> all;
    {
      std::lock_guard lock(mu_);
      all = declared_;
    }
    if (!ensure(all).code) healed_ = n;  // else: tried again on the next call
  }

  static json::object receive(const std::string& url, std::size_t n, std::int64_t wait_s) {
    return json::object{
        {"QueueUrl", url},
        {"MaxNumberOfMessages", n},
        {"WaitTimeSeconds", wait_s},
        {"AttributeNames", json::array{"ApproximateReceiveCount", "MessageGroupId"}},
        {"MessageSystemAttributeNames", json::array{"ApproximateReceiveCount", "MessageGroupId"}},
        {"MessageAttributeNames", json::array{"All"}}};
  }

  void add(std::vector<delivery>& out, std::vector<received> got, std::string_view subscription) {
    std::string topic;
    {
      std::lock_guard lock(mu_);
      if (auto it = topics_.find(std::string(subscription)); it != topics_.end())
        topic = it->second;
    }
    for (auto& r : got) {
      delivery d;
      d.receipt = make_receipt(r);
      d.msg = std::move(r.msg);
      if (d.msg.topic.empty()) d.msg.topic = topic;
      d.subscription = std::string(subscription);
      d.attempt = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(std::uint64_t{r.spent} + r.receive_count, UINT32_MAX));
      out.push_back(std::move(d));
    }
  }

  // The queue URL of a subscription: declared here, or looked up (another
  // process declared it).
  result<std::string> queue_url(std::string_view subscription) {
    {
      std::lock_guard lock(mu_);
      if (auto it = queues_.find(std::string(subscription)); it != queues_.end()) return it->second;
    }
    auto url =
        find_queue(*link_, queue_name(ns(), subscription, options_.fifo), options_.request_timeout);
    if (!url) return url.why();
    std::lock_guard lock(mu_);
    queues_[std::string(subscription)] = *url;
    return *url;
  }

  // Receipt handles per subscription (deliveries with a receipt not ours are skipped).
  static std::map<std::string, std::vector<std::string>> by_queue(std::span<const delivery> ds) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& d : ds) {
      if (auto r = parse_receipt(d.receipt)) out[d.subscription].push_back(r->handle);
    }
    return out;
  }

  // The bodies of a *Batch request on `deliveries`' receipt handles: per
  // queue, chunks of ≤ k_max_batch_entries entries, each {"Id" (its place in
  // the chunk), "ReceiptHandle"} followed by `extra`'s members.
  result<std::vector<json::object>> handle_batches(std::span<const delivery> deliveries,
                                                   const json::object& extra) {
    std::vector<json::object> bodies;
    for (auto& [sub, handles] : by_queue(deliveries)) {
      auto url = queue_url(sub);
      if (!url) return url.error();
      for (std::size_t at = 0; at < handles.size(); at += k_max_batch_entries) {
        json::array entries;
        for (std::size_t i = at; i < std::min(handles.size(), at + k_max_batch_entries); ++i) {
          json::object e{{"Id", std::to_string(i - at)}, {"ReceiptHandle", handles[i]}};
          for (const auto& member : extra) e.emplace(member.key(), member.value());
          entries.push_back(std::move(e));
        }
        bodies.push_back(json::object{{"QueueUrl", *url}, {"Entries", std::move(entries)}});
      }
    }
    return bodies;
  }

  std::error_code change_visibility(std::span<const delivery> deliveries,
                                    std::chrono::milliseconds delay) {
    const auto seconds = whole_seconds(delay, k_max_visibility_s);
    auto bodies = handle_batches(deliveries, {{"VisibilityTimeout", seconds}});
    if (!bodies) return bodies.error();
    if (bodies->empty()) return {};
    return batch_error(
        all(*link_, "ChangeMessageVisibilityBatch", *bodies, options_.request_timeout),
        "SQS ChangeMessageVisibilityBatch");
  }

  // release(count_attempt = false): copies carrying the attempts spent, then
  // the originals deleted (see snssqs_broker.hpp).
  std::error_code replace_by_copies(std::span<const delivery> deliveries,
                                    std::chrono::milliseconds delay) {
    const auto delay_s = static_cast<unsigned>(whole_seconds(delay, k_max_delay_s));
    // Chunks of one queue, ≤ 10 entries and ≤ 256 KiB.
    struct chunk {
      std::string url;
      std::vector<std::size_t> items;
    };
    std::vector<chunk> chunks;
    {
      std::map<std::string, std::size_t> open;
      std::vector<std::size_t> bytes;
      for (std::size_t i = 0; i < deliveries.size(); ++i) {
        const auto& d = deliveries[i];
        if (!parse_receipt(d.receipt)) continue;
        auto url = queue_url(d.subscription);
        if (!url) return url.error();
        const auto size = encoded_size(d.msg);
        auto it = open.find(*url);
        if (it == open.end() || chunks[it->second].items.size() >= k_max_batch_entries ||
            bytes[it->second] + size > k_max_message_bytes) {
          chunks.push_back({*url, {}});
          bytes.push_back(0);
          it = open.insert_or_assign(*url, chunks.size() - 1).first;
        }
        chunks[it->second].items.push_back(i);
        bytes[it->second] += size;
      }
    }
    std::vector<json::object> bodies;
    for (const auto& c : chunks) {
      std::vector<delivery> part;
      for (auto i : c.items) part.push_back(deliveries[i]);
      bodies.push_back(copy_batch(c.url, part, delay_s, options_.fifo));
    }
    auto answers = all(*link_, "SendMessageBatch", bodies, options_.request_timeout);
    std::vector<delivery> copied, not_copied;
    std::error_code failed;
    for (std::size_t k = 0; k < chunks.size(); ++k) {
      std::set<std::string> ok;
      if (answers[k] && answers[k]->ok()) {
        for (auto& id : parse_sqs_batch(answers[k]->body).succeeded) ok.insert(id);
      } else if (!failed) {
        failed = failure_of(answers[k], "SQS SendMessageBatch").code;
      }
      for (std::size_t j = 0; j < chunks[k].items.size(); ++j) {
        const auto& d = deliveries[chunks[k].items[j]];
        (ok.count(std::to_string(j)) ? copied : not_copied).push_back(d);
      }
    }
    if (!not_copied.empty() && !failed) failed = errc::unavailable;
    auto deleted = copied.empty() ? std::error_code{} : ack(copied);
    // Not copied: handed back anyway (that delivery then counts), rather than
    // held until its lease expires.
    auto released = not_copied.empty() ? std::error_code{} : change_visibility(not_copied, delay);
    if (failed) return failed;
    return deleted ? deleted : released;
  }

  snssqs_broker_options options_;
  std::unique_ptr<link> link_;
  snssqs::publisher publisher_;

  std::mutex heal_mu_;                    // one heal() at a time
  std::atomic<std::uint64_t> healed_{0};  // link_->recoveries() last healed
  std::mutex mu_;                         // guards closed_, queues_, topics_, declared_
  bool closed_ = false;
  std::condition_variable wake_;  // close() wakes a short pull's rest
  std::vector<topology> declared_;
  std::map<std::string, std::string> queues_;  // subscription → queue URL
  std::map<std::string, std::string> topics_;  // subscription → topic (declared here)
};

}  // namespace

std::string snssqs_region(const std::string& url) {
  constexpr std::string_view prefix = "sns+sqs://";
  if (!url.starts_with(prefix)) return {};
  std::string region = url.substr(prefix.size());
  while (!region.empty() && region.back() == '/') region.pop_back();
  if (region.empty() || region.size() > 32) return {};
  for (char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return {};
  }
  return region;
}

result<std::unique_ptr<broker>> make_snssqs_broker(const snssqs_broker_options& options) {
  auto region = snssqs_region(options.url);
  if (region.empty()) {
    return {errc::unavailable, "expected sns+sqs://REGION (e.g. sns+sqs://us-east-1)"};
  }
  auto l = link::open({.region = region,
                       .endpoint = options.endpoint,
                       .ca_file = options.ca_file,
                       .max_attempts = options.max_attempts},
                      aws::default_chain());
  if (!l) return l.why();
  return std::unique_ptr<broker>(std::make_unique<snssqs_broker>(options, std::move(*l)));
}

}  // namespace sluice::broker
