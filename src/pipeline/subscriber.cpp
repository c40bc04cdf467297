#include "pipeline/subscriber.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <algorithm>

#include "core/clock.hpp"
#include "model/validate.hpp"
#include "pipeline/ingest.hpp"
#include "observe/log.hpp"
#include "observe/trace.hpp"

namespace sluice::pipeline {
namespace {

std::string_view header_of(const broker::message& m, std::string_view name) {
  for (const auto& [k, v] : m.headers) {
    if (k == name) return v;
  }
  return {};
}

// The trace id of the message's W3C traceparent ("00-<trace id>-<span id>-<flags>"),
// kept with its row or dead letter; "" when the header is missing or malformed
// (a producer publishing to the broker directly may send anything).
std::string trace_id_of(const broker::message& m) {
  auto tc = observe::parse_traceparent(header_of(m, "traceparent"));
  return tc ? tc->trace_id : std::string{};
}

// Decodes and validates a message body; on failure says why in `reason`.
bool decode(const config::resource_def& resource, const std::string& body, unsigned depth,
            model::record& out, std::string& reason) {
  boost::json::parse_options opts;
  opts.max_depth = depth;
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec, {}, opts);
  if (ec) {
    reason = "malformed JSON body: " + ec.message();
    return false;
  }
  std::vector<model::problem> problems;
  if (model::validate(resource, value, "", out, problems)) return true;
  reason = "invalid record:";
  for (const auto& p : problems) reason += " " + p.pointer + " " + p.detail + ";";
  return false;
}

double seconds_since_us(std::int64_t us) {
  return static_cast<double>(std::max<std::int64_t>(0, now_us() - us)) / 1e6;
}

}  // namespace

subscriber::subscriber(broker::broker& broker, store::store& store,
                       const config::subscription_def& sub, const config::resource_def& resource,
                       subscriber_options options, observe::metrics& metrics)
    : broker_(broker),
      store_(store),
      sub_(sub),
      resource_(resource),
      options_(std::move(options)),
      metrics_(metrics) {}

subscriber::~subscriber() { stop(); }

void subscriber::start() {
  thread_ = std::thread([this] { loop(); });
  lag_thread_ = std::thread([this] { sample_lag(); });
}

void subscriber::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (lag_thread_.joinable()) lag_thread_.join();
}

void subscriber::sample_lag() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    if (auto depth = broker_.depth(sub_.name)) metrics_.lag(sub_.name, *depth);
    // The dead-letter backlog, from the store (a backend without dead-letter
    // operations answers unsupported: no gauge).
    if (auto counts = store_.dead_letter_counts()) {
      std::uint64_t mine = 0;
      for (const auto& [name, n] : *counts) {
        if (name == sub_.name) mine = n;
      }
      metrics_.dead_letters(sub_.name, mine);
    }
    lock.lock();
    wake_.wait_for(lock, options_.lag_interval, [this] { return stopping_; });
  }
}

void subscriber::loop() {
  auto backoff = options_.retry_min;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto r = run_once(options_.pull_wait);
    if (r) {
      backoff = options_.retry_min;
      continue;
    }
    if (r.error() == broker::errc::closed) return;
    observe::warn("subscriber backing off",
                  {{"subscription", sub_.name},
                   {"error", r.error().message()},
                   {"backoff_ms", backoff.count()}});
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, backoff, [this] { return stopping_; });
    backoff = std::min(options_.retry_max, backoff * 2);
  }
}

result<batch_report> subscriber::run_once(std::chrono::milliseconds wait) {
  auto pulled = broker_.pull(sub_.name, options_.batch_size, wait);
  if (!pulled) return pulled.error();
  auto& deliveries = *pulled;
  batch_report report;
  if (deliveries.empty()) return report;

  store::batch b{sub_.table, sub_.name, sub_.resource, {}, {}};
  std::vector<const broker::delivery*> row_of;  // delivery of each b.rows entry
  for (const auto& d : deliveries) {
    // A redrive re-publishes a dead letter under a fresh broker id (so no
    // broker's duplicate window swallows it) that names the original one:
    // the row, the dead letter and the status all keep the original id.
    const auto original = header_of(d.msg, redrive_header);
    const std::string id = original.empty() ? d.msg.id : std::string(original);
    std::string reason;
    model::record rec;
    if (d.attempt > options_.max_deliveries) {
      reason = "exceeded max deliveries (" + std::to_string(options_.max_deliveries) + ")";
    } else if (decode(resource_, d.msg.body, options_.json_depth, rec, reason)) {
      b.rows.push_back(
          {id, d.msg.accepted_at_us, std::move(rec), d.msg.body, d.attempt, trace_id_of(d.msg)});
      row_of.push_back(&d);
      continue;
    }
    b.dead_letters.push_back(
        {id, sub_.name, sub_.resource, reason, d.attempt, d.msg.body, trace_id_of(d.msg)});
    observe::warn("message dead-lettered", {{"subscription", sub_.name},
                                            {"message_id", id},
                                            {"trace_id", b.dead_letters.back().trace_id},
                                            {"reason", reason}});
  }

  auto started = std::chrono::steady_clock::now();
  auto written = store_.write(b);
  if (!written) {
    // Our failure, not the messages': give them back without spending attempts.
    (void)broker_.release(deliveries, options_.retry_min, false);
    metrics_.delivered(sub_.name, "retried", deliveries.size());
    return written.error();
  }
  double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.sink_batch(sub_.name, b.rows.size(), write_s);
  if (options_.on_commit && written->version > 0) options_.on_commit(sub_.table, written->version);

  report.dead_lettered = b.dead_letters.size();
  for (std::size_t i = 0; i < written->rows.size(); ++i) {
    const auto& outcome = written->rows[i];
    const broker::delivery& d = *row_of[i];
    switch (outcome.result) {
      case store::outcome::stored:
        ++report.stored;
        metrics_.end_to_end(sub_.name, seconds_since_us(d.msg.accepted_at_us));
        if (observe::enabled(observe::level::debug)) {
          observe::debug("row stored", {{"subscription", sub_.name},
                                        {"message_id", b.rows[i].message_id},
                                        {"trace_id", b.rows[i].trace_id}});
        }
        break;
      case store::outcome::duplicate: ++report.duplicate; break;
      case store::outcome::dead_lettered:
        ++report.dead_lettered;
        observe::warn("message dead-lettered", {{"subscription", sub_.name},
                                                {"message_id", b.rows[i].message_id},
                                                {"trace_id", b.rows[i].trace_id},
                                                {"reason", outcome.reason}});
        break;
    }
  }
  metrics_.delivered(sub_.name, "stored", report.stored);
  metrics_.delivered(sub_.name, "duplicate", report.duplicate);
  metrics_.delivered(sub_.name, "dead_lettered", report.dead_lettered);

  // Committed: a lost ack now only means a redelivery, which is a duplicate.
  if (auto ec = broker_.ack(deliveries)) {
    observe::warn("ack failed", {{"subscription", sub_.name}, {"error", ec.message()}});
  }
  return report;
}

}  // namespace sluice::pipeline
