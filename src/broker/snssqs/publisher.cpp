#include "broker/snssqs/publisher.hpp"

#include <charconv>
#include <condition_variable>

#include "broker/snssqs/names.hpp"
#include "broker/snssqs/topology.hpp"

namespace sluice::broker::snssqs {
namespace {

// One PublishBatch call: which items it carries.
struct batch {
  std::string topic_arn;
  std::vector<std::size_t> items;
};

}  // namespace

publisher::publisher(link& l, publisher_options o)
    : link_(l), options_(std::move(o)), dedup_(options_.dedup_window, options_.dedup_capacity) {
  group_sender<message>& sender = *this;
  queue_ = std::make_unique<publish_queue<message>>(
      sender, publish_queue_options{.max_pending = options_.max_pending,
                                    .max_group = options_.max_group,
                                    .drain_limit = options_.timeout + std::chrono::seconds(1)});
}

std::error_code publisher::refuse() {
  // Down: fail at once (POST 503) rather than queue behind calls that will
  // time out. on_wake() probes until the endpoint answers again.
  return link_.down() ? make_error_code(errc::unavailable) : std::error_code{};
}

std::optional<publisher::clock::time_point> publisher::wake_at() {
  if (!link_.down()) return std::nullopt;
  return clock::now() + std::chrono::seconds(1);
}

void publisher::on_wake() {
  // Any answer, even an error, marks the link up: a topic this process
  // knows (sns:GetTopicAttributes), else ListTopics.
  std::string arn;
  {
    std::lock_guard lock(mu_);
    if (!arns_.empty()) arn = arns_.begin()->second;
  }
  params p = {{"Action", arn.empty() ? "ListTopics" : "GetTopicAttributes"},
              {"Version", "2010-03-31"}};
  if (!arn.empty()) p.emplace_back("TopicArn", arn);
  (void)link_.sns_sync(p, std::chrono::milliseconds(2000));
}

result<std::string> publisher::topic_arn(const std::string& topic) {
  {
    std::lock_guard lock(mu_);
    if (auto it = arns_.find(topic); it != arns_.end()) return it->second;
  }
  return create_topic(topic);
}

result<std::string> publisher::create_topic(const std::string& topic) {
  auto arn = ensure_topic(link_, topic_name(options_.name_space, topic, options_.fifo),
                          options_.fifo, options_.timeout);
  if (!arn) return arn.why();
  std::lock_guard lock(mu_);
  arns_[topic] = *arn;
  return *arn;
}

void publisher::send(std::span<message> items, std::span<const std::size_t> /*calls*/,
                     std::span<std::error_code> out) {
  if (before_send_) before_send_();
  // Deduplicated ids first: duplicates and conflicts never reach SNS.
  std::vector<bool> skip(items.size(), false);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].deduplicate) continue;
    auto v = dedup_.check(items[i]);
    if (v == dedup_cache::verdict::conflict) out[i] = errc::conflict;
    if (v != dedup_cache::verdict::fresh) skip[i] = true;
  }
  // Batches per topic: ≤ 10 entries and ≤ 256 KiB each.
  std::vector<batch> batches;
  std::map<std::string, std::size_t> open;  // topic → its batch being filled
  std::vector<std::size_t> bytes;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (skip[i]) continue;
    const auto& m = items[i];
    auto arn = topic_arn(m.topic);
    if (!arn) {
      out[i] = arn.error() == errc::closed ? errc::closed : errc::unavailable;
      continue;
    }
    const auto size = encoded_size(m);
    auto it = open.find(m.topic);
    if (it == open.end() || batches[it->second].items.size() >= k_max_batch_entries ||
        bytes[it->second] + size > k_max_message_bytes) {
      batches.push_back({*arn, {}});
      bytes.push_back(0);
      it = open.insert_or_assign(m.topic, batches.size() - 1).first;
    }
    batches[it->second].items.push_back(i);
    bytes[it->second] += size;
  }
  if (batches.empty()) return;

  // All calls at once (bounded); this thread waits for their answers.
  std::mutex mu;
  std::condition_variable cv;
  std::size_t running = 0, next = 0, finished = 0;
  const fifo_format format{options_.fifo, options_.group_field};
  auto settle = [&](const batch& b, const result<aws::response>& r) {
    // Under `mu`. What each entry's outcome is (see publisher.hpp).
    std::error_code whole;
    if (!r) {
      whole = aws::maybe_processed(r.error()) ? errc::outcome_unknown : errc::unavailable;
    } else if (!r->ok()) {
      whole = r->status >= 500 || r->uncertain ? errc::outcome_unknown : errc::unavailable;
    }
    if (whole) {
      for (auto i : b.items) out[i] = whole;
      return;
    }
    auto answer = parse_publish_batch(r->body);
    std::vector<bool> ok(b.items.size(), false);
    for (const auto& id : answer.succeeded) {
      std::size_t k = 0;
      auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), k);
      if (ec == std::errc() && k < ok.size()) ok[k] = true;
    }
    for (std::size_t k = 0; k < b.items.size(); ++k) {
      // Not listed as successful (failed, or missing): not published by this call.
      if (!ok[k]) out[b.items[k]] = r->uncertain ? errc::outcome_unknown : errc::unavailable;
    }
  };
  std::unique_lock lock(mu);
  while (finished < batches.size()) {
    while (next < batches.size() && running < options_.max_in_flight) {
      const batch& b = batches[next++];
      ++running;
      std::vector<const message*> entries;
      entries.reserve(b.items.size());
      for (auto i : b.items) entries.push_back(&items[i]);
      auto p = publish_batch(b.topic_arn, entries, format);
      lock.unlock();
      link_.sns(p, options_.timeout, [&, bp = &b](const result<aws::response>& r) {
        std::lock_guard inner(mu);
        settle(*bp, r);
        --running;
        ++finished;
        cv.notify_one();
      });
      lock.lock();
    }
    cv.wait(lock, [&] {
      return finished == batches.size() ||
             (running < options_.max_in_flight && next < batches.size());
    });
  }
  lock.unlock();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (skip[i] || !items[i].deduplicate) continue;
    if (!out[i]) {
      dedup_.remember(items[i], true);
    } else if (out[i] == errc::outcome_unknown) {
      dedup_.remember(items[i], false);
    }
  }
}

}  // namespace sluice::broker::snssqs
