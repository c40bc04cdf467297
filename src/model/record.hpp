#pragma once
// A record: one accepted instance of a resource, with its values in the order
// of the resource's fields. Produced by validation, consumed by stores.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace sluice::model {

// null (absent optional field), integer, number, boolean, or text (string,
// email and timestamp — timestamps are normalised RFC 3339 UTC text).
using value = std::variant<std::monostate, std::int64_t, double, bool, std::string>;

struct record {
  std::vector<value> values;  // one per field of the resource, in order
};

}  // namespace sluice::model
