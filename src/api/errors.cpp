#include "api/errors.hpp"

#include "broker/broker.hpp"
#include "http/problem.hpp"
#include "observe/log.hpp"
#include "store/store.hpp"

namespace sluice::api {

http::response error_response(std::error_code ec) {
  auto unavailable = [](std::string detail) {
    auto r = http::problem(503, std::move(detail));
    r.set("Retry-After", "1");
    return r;
  };
  if (ec.category() == broker::category()) {
    switch (static_cast<broker::errc>(ec.value())) {
      case broker::errc::conflict:
        return http::problem(409,
                             "this Idempotency-Key was already used with a different body");
      case broker::errc::overloaded:
        return unavailable("the queue is full; retry later");
      case broker::errc::closed:
        return unavailable("shutting down; retry later");
      case broker::errc::storage_full: {
        // Draining frees the space; that takes longer than a blip.
        auto r = unavailable(
            "the broker's storage is full; nothing was accepted, retry later");
        r.set("Retry-After", "5");
        return r;
      }
      default:
        return unavailable("the broker is unavailable; nothing was accepted, retry later");
    }
  }
  if (ec == store::errc::unavailable) return unavailable("the store is unavailable; retry later");
  // The store refused a query built from a request (a value it cannot
  // compare, a filter it does not know): the client's request, never a 500.
  if (ec == store::errc::bad_query) return http::problem(400, "the store refused this query");
  observe::error("unexpected error", {{"category", ec.category().name()},
                                      {"error", ec.message()}});
  return http::problem(500, "internal error");
}

}  // namespace sluice::api
