#include "core/error_category.hpp"
#include "store/store.hpp"

namespace sluice::store {
namespace {
const char* describe(errc e) {
  switch (e) {
    case errc::unavailable: return "store unavailable";
    case errc::unknown_table: return "unknown table";
    case errc::bad_query: return "bad query";
    case errc::unsupported: return "not supported by this store";
    case errc::timed_out: return "store did not answer in time";
  }
  return "unknown store error";
}
}  // namespace

const std::error_category& category() {
  static const enum_category<errc> c("sluice.store", describe);
  return c;
}
std::error_code make_error_code(errc e) { return {static_cast<int>(e), category()}; }

}  // namespace sluice::store
