#include "pipeline/ingest.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <memory>

#include "broker/broker.hpp"
#include "core/clock.hpp"
#include "core/deadline.hpp"
#include "model/uuid.hpp"
#include "observe/log.hpp"
#include "observe/metrics.hpp"

namespace sluice::pipeline {
namespace {

namespace asio = boost::asio;

// Publishes and waits for the broker's durable acknowledgement (the broker
// completes on its own thread; the coroutine resumes on its executor).
asio::awaitable<std::error_code> publish_durably(broker::broker& b,
                                                 std::vector<broker::message> messages) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(std::error_code)>(
      [&b](auto handler, std::vector<broker::message>&& msgs) {
        auto ex = asio::get_associated_executor(handler);
        // std::function needs a copyable callable; the handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        b.publish(std::move(msgs), [shared, ex](std::error_code ec) {
          asio::post(ex, [shared, ec] { std::move (*shared)(ec); });
        });
      },
      asio::use_awaitable, std::move(messages));
}

refusal_kind kind_of(std::error_code ec) {
  if (ec.category() != broker::category()) return refusal_kind::unavailable;
  switch (static_cast<broker::errc>(ec.value())) {
    case broker::errc::conflict: return refusal_kind::conflict;
    case broker::errc::overloaded: return refusal_kind::overloaded;
    case broker::errc::closed: return refusal_kind::closed;
    case broker::errc::storage_full: return refusal_kind::storage_full;
    case broker::errc::outcome_unknown: return refusal_kind::outcome_unknown;
    default: return refusal_kind::unavailable;
  }
}

// The metrics outcome label of a refused publish (bounded set).
std::string_view outcome_label(refusal_kind k) {
  switch (k) {
    case refusal_kind::storage_full: return "storage_full";
    case refusal_kind::outcome_unknown: return "outcome_unknown";
    case refusal_kind::conflict:
    case refusal_kind::invalid:
    case refusal_kind::empty:
    case refusal_kind::too_many:
    case refusal_kind::too_large: return "rejected";
    default: return "failed";
  }
}

ingest_result refused(refusal r) {
  ingest_result out;
  out.refused = std::move(r);
  return out;
}

}  // namespace

ingest::ingest(const config::config& cfg, broker::broker& broker, store::store& store,
               observe::metrics& metrics, asio::thread_pool& blocking)
    : cfg_(cfg),
      broker_(broker),
      store_(store),
      metrics_(metrics),
      blocking_(blocking),
      waits_(store, blocking, cfg.http.max_waiters, cfg.store.read_timeout) {}

asio::awaitable<ingest_result> ingest::accept(ingest_request req) {
  const config::resource_def& resource = *req.resource;
  auto reject = [&](refusal r) {
    metrics_.published(resource.name, "rejected", 1);
    return refused(std::move(r));
  };
  if (req.records.empty()) co_return reject({.kind = refusal_kind::empty});
  if (req.records.size() > cfg_.http.max_batch) co_return reject({.kind = refusal_kind::too_many});

  // Validate every record (all problems are reported, not just the first).
  std::vector<model::problem> problems;
  std::vector<broker::message> msgs(req.records.size());
  const auto accepted_at = now_us();
  const bool keyed = !req.idempotency_key.empty();
  for (std::size_t i = 0; i < req.records.size(); ++i) {
    model::record rec;
    std::string prefix = req.single ? "" : "/" + std::to_string(i);
    if (!model::validate(resource, req.records[i], prefix, rec, problems)) continue;
    auto& m = msgs[i];
    m.id = keyed ? model::uuid_v5(req.principal_id, resource.name, req.idempotency_key, i) : model::uuid_v7();
    m.topic = resource.name;
    m.body = model::to_json(resource, rec);
    m.accepted_at_us = accepted_at;
    m.deduplicate = keyed;
    m.headers = {{"content-type", "application/json"}, {"traceparent", req.traceparent}};
    if (keyed) m.headers.emplace_back("idempotency-key", req.idempotency_key);
  }
  if (!problems.empty()) {
    if (problems.size() > max_reported_problems) problems.resize(max_reported_problems);
    co_return reject({.kind = refusal_kind::invalid, .problems = std::move(problems)});
  }
  // The broker's own message size limit (e.g. SNS's 256 KiB), before publishing.
  if (const auto limit = broker_.max_record_bytes(); limit > 0) {
    for (std::size_t i = 0; i < msgs.size() && problems.size() < max_reported_problems; ++i) {
      std::size_t size = msgs[i].body.size();
      for (const auto& [name, value] : msgs[i].headers) size += name.size() + value.size();
      if (size > limit) {
        problems.push_back({req.single ? "" : "/" + std::to_string(i),
                            "the record takes " + std::to_string(size) +
                                " bytes; the broker takes at most " + std::to_string(limit)});
      }
    }
    if (!problems.empty()) {
      co_return reject({.kind = refusal_kind::too_large, .problems = std::move(problems)});
    }
  }

  std::vector<std::string> ids;
  ids.reserve(msgs.size());
  for (const auto& m : msgs) ids.push_back(m.id);

  // The key names the whole request: every message carries its fingerprint,
  // and the first message is published alone first. It either claims the key
  // (then the rest follow), finds it claimed by this same request (a retry:
  // the rest are duplicates too), or finds it claimed by another request —
  // a conflict, and nothing of this one was published.
  std::error_code ec;
  if (keyed) {
    std::vector<std::string> bodies;
    bodies.reserve(msgs.size());
    for (const auto& m : msgs) bodies.push_back(m.body);
    const std::string fp = model::request_fingerprint(bodies);
    for (auto& m : msgs) m.fingerprint = fp;
  }
  if (keyed && msgs.size() > 1) {
    std::vector<broker::message> rest(std::make_move_iterator(msgs.begin() + 1),
                                      std::make_move_iterator(msgs.end()));
    msgs.resize(1);
    ec = co_await publish_durably(broker_, std::move(msgs));
    if (!ec) {
      // The key is claimed and the first record is durable: whatever stops
      // the rest now, the request was partly accepted. Its outcome is
      // "unknown" to the client, and a retry with the same key completes it.
      if ((ec = co_await publish_durably(broker_, std::move(rest)))) {
        ec = broker::errc::outcome_unknown;
      }
    }
  } else {
    ec = co_await publish_durably(broker_, std::move(msgs));
  }
  if (ec) {
    const auto kind = kind_of(ec);
    metrics_.published(resource.name, outcome_label(kind), kind == refusal_kind::conflict ? 1 : ids.size());
    if (kind != refusal_kind::conflict) {
      observe::warn("publish failed", {{"topic", resource.name},
                                       {"error", ec.message()},
                                       {"messages", ids.size()},
                                       {"trace_id", req.trace_id}});
    }
    refusal r{.kind = kind, .cause = ec};
    if (kind == refusal_kind::outcome_unknown) r.ids = ids;
    co_return refused(std::move(r));
  }
  metrics_.published(resource.name, "accepted", ids.size());

  ingest_result out;
  out.ids = std::move(ids);
  if (req.wait && *req.wait > 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*req.wait);
    auto statuses = co_await waits_.wait(out.ids, deadline);
    if (statuses) {
      std::vector<std::pair<std::string, std::int64_t>> where;
      bool all_stored = true;
      for (const auto& st : *statuses) {
        all_stored = all_stored && st.status == store::message_status::state::stored;
        where.emplace_back(st.table, st.row_id);
      }
      if (all_stored) {
        store::store* store = &store_;
        // Named, not a temporary in the co_await (see outcome_waits.cpp).
        auto fetch = [store, where = std::move(where)]() -> std::optional<std::vector<stored_row>> {
          std::vector<stored_row> found;
          for (const auto& [table, id] : where) {
            auto row = store->get(table, id);
            if (!row || !*row) return std::nullopt;
            found.push_back({id, std::move(**row)});
          }
          return found;
        };
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto limit = std::clamp(left, std::chrono::milliseconds(0), cfg_.store.read_timeout);
        auto rows = co_await offload_within(blocking_, limit, std::move(fetch));
        if (rows && *rows) out.rows = std::move(**rows);
      }
    }
  }
  co_return out;
}

result<message_lookup> ingest::locate(const std::string& id) {
  auto st = store_.status(id);
  if (!st) return st.error();
  if (st->status != store::message_status::state::unknown) return message_lookup{*st};
  // Not stored (yet?). A message the broker no longer holds was either never
  // accepted or stored since the first look (subscribers ack only after
  // committing): a second look at the store tells which.
  auto held = broker_.holds(id);
  if (!held || !*held || **held) return message_lookup{*st};
  auto again = store_.status(id);
  if (!again) return again.error();
  return message_lookup{*again, again->status == store::message_status::state::unknown};
}

asio::awaitable<std::error_code> ingest::republish(std::vector<republish_item> items,
                                                   std::string traceparent) {
  if (items.empty()) co_return std::error_code{};
  std::vector<broker::message> msgs;
  msgs.reserve(items.size());
  const auto now = now_us();
  for (auto& item : items) {
    broker::message m;
    m.id = model::uuid_v7();
    m.topic = std::move(item.topic);
    m.body = std::move(item.body);
    m.accepted_at_us = now;
    m.headers = {{"content-type", "application/json"},
                 {"traceparent", traceparent},
                 {std::string(redrive_header), std::move(item.message_id)}};
    msgs.push_back(std::move(m));
  }
  auto ec = co_await publish_durably(broker_, std::move(msgs));
  if (ec) observe::warn("redrive publish failed", {{"error", ec.message()}});
  co_return ec;
}

std::error_code ingest::broker_health() { return broker_.ping(); }

void ingest::committed(const std::string& /*table*/) { waits_.committed(); }

}  // namespace sluice::pipeline
