#include "broker/broker.hpp"
#include "core/error_category.hpp"

namespace sluice::broker {
namespace {
const char* describe(errc e) {
  switch (e) {
    case errc::unavailable: return "broker unavailable";
    case errc::overloaded: return "broker overloaded";
    case errc::conflict: return "message id reused with a different body";
    case errc::closed: return "broker closed";
    case errc::unknown_subscription: return "unknown subscription";
    case errc::storage_full: return "broker storage full";
    case errc::outcome_unknown: return "publish outcome unknown (no confirmation)";
    case errc::refused: return "broker refused the request (configuration, credentials or permissions)";
  }
  return "unknown broker error";
}
}  // namespace

const std::error_category& category() {
  static const enum_category<errc> c("sluice.broker", describe);
  return c;
}
std::error_code make_error_code(errc e) { return {static_cast<int>(e), category()}; }

}  // namespace sluice::broker
