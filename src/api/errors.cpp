#include "api/errors.hpp"

#include <boost/json/array.hpp>

#include "http/problem.hpp"
#include "observe/log.hpp"
#include "store/store.hpp"

namespace sluice::api {
namespace {

http::response unavailable(std::string_view detail, std::string_view retry_after = "1",
                           const boost::json::object& extra = {}) {
  auto r = http::problem(503, detail, {}, extra);
  r.set("Retry-After", std::string(retry_after));
  return r;
}

}  // namespace

http::response error_response(std::error_code ec, std::chrono::milliseconds store_deadline) {
  if (ec == store::errc::unavailable) return unavailable("the store is unavailable; retry later");
  if (ec == store::errc::timed_out) {
    // The call may still be running: the store is stalled, not refusing.
    return unavailable(store_deadline.count() > 0
                           ? "the store did not answer within " +
                                 std::to_string(store_deadline.count()) + " ms; retry later"
                           : "the store did not answer in time; retry later");
  }
  // The store refused a query built from a request (a value it cannot
  // compare, a filter it does not know): the client's request, never a 500.
  if (ec == store::errc::bad_query) return http::problem(400, "the store refused this query");
  observe::error("unexpected error", {{"category", ec.category().name()},
                                      {"error", ec.message()}});
  return http::problem(500, "internal error");
}

http::response refusal_response(const pipeline::refusal& r, std::size_t max_batch) {
  using kind = pipeline::refusal_kind;
  switch (r.kind) {
    case kind::invalid: {
      std::vector<http::field_error> errors;
      errors.reserve(r.problems.size());
      for (const auto& p : r.problems) errors.push_back({p.pointer, p.detail});
      return http::problem(422, "the request has invalid records", errors);
    }
    case kind::empty: return http::problem(422, "no records in the request");
    case kind::too_many:
      return http::problem(413, "at most " + std::to_string(max_batch) + " records per request");
    case kind::too_large: {
      std::vector<http::field_error> errors;
      errors.reserve(r.problems.size());
      for (const auto& p : r.problems) errors.push_back({p.pointer, p.detail});
      return http::problem(413, "a record is larger than the broker takes in one message", errors);
    }
    case kind::conflict:
      return http::problem(409, "this Idempotency-Key was already used with a different request");
    case kind::overloaded: return unavailable("the queue is full; nothing was accepted, retry later");
    case kind::closed: return unavailable("shutting down; nothing was accepted, retry later");
    case kind::storage_full:
      // Draining frees the space; that takes longer than a blip.
      return unavailable("the broker's storage is full; nothing was accepted, retry later", "5");
    case kind::outcome_unknown: {
      // Sent, never confirmed: the client must not assume either way. The ids
      // resolve it (GET /v1/messages/{id}); a retry with the same
      // Idempotency-Key cannot double it.
      boost::json::array ids, urls;
      for (const auto& id : r.ids) {
        ids.emplace_back(id);
        urls.emplace_back("/v1/messages/" + id);
      }
      return unavailable(
          "the broker did not confirm the publish: the records may have been accepted; look them "
          "up by id, or retry with an Idempotency-Key",
          "1", {{"outcome", "unknown"}, {"message_ids", std::move(ids)}, {"status_urls", std::move(urls)}});
    }
    case kind::unavailable: break;
  }
  return unavailable("the broker is unavailable; nothing was accepted, retry later");
}

}  // namespace sluice::api
