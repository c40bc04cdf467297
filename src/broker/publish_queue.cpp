#include "broker/publish_queue.hpp"

namespace sluice::broker::detail {

std::error_code admit(bool closing, std::error_code refused, std::size_t pending, std::size_t n,
                      std::size_t max_pending) {
  if (closing) return errc::closed;
  if (refused) return refused;
  // An oversized call is still let in alone: refusing it would be forever.
  if (pending > 0 && pending + n > max_pending) return errc::overloaded;
  return {};
}

std::error_code first_error(std::span<const std::error_code> results) {
  std::error_code first;
  for (const auto& ec : results) {
    // A call part of which may be stored must never read as "refused, nothing
    // accepted", whatever failed beside it (issue 11 #27).
    if (ec == errc::outcome_unknown) return ec;
    if (ec && !first) first = ec;
  }
  return first;
}

}  // namespace sluice::broker::detail
