// The canonical JSON text of a record: the message body on the broker and the
// form subscribers decode. Written directly rather than through a json::object
// because this runs once per accepted record; strings and doubles still go
// through Boost.JSON's serializer so escaping and number formatting are its.

#include <boost/json.hpp>
#include <cmath>
#include <type_traits>

#include "model/validate.hpp"

namespace sluice::model {

std::string to_json(const config::resource_def& resource, const record& r) {
  namespace json = boost::json;
  std::string out;
  out.reserve(16 * resource.fields.size() + 2);
  out += '{';
  bool first = true;
  const std::size_t n = std::min(resource.fields.size(), r.values.size());
  for (std::size_t i = 0; i < n; ++i) {
    const value& v = r.values[i];
    if (std::holds_alternative<std::monostate>(v)) continue;
    if (!first) out += ',';
    first = false;
    out += json::serialize(json::string_view(resource.fields[i].name));
    out += ':';
    std::visit(
        [&out](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::int64_t>) {
            out += std::to_string(x);
          } else if constexpr (std::is_same_v<T, double>) {
            // Validated records hold finite numbers only; null keeps the
            // output JSON if a caller breaks that.
            out += std::isfinite(x) ? json::serialize(json::value(x)) : std::string("null");
          } else if constexpr (std::is_same_v<T, bool>) {
            out += x ? "true" : "false";
          } else if constexpr (std::is_same_v<T, std::string>) {
            out += json::serialize(json::string_view(x));
          }
        },
        v);
  }
  out += '}';
  return out;
}

}  // namespace sluice::model
