#pragma once
// AWS names for Sluice's topology. Private to src/broker/snssqs/.
//
//   topic        → SNS topic  "<namespace>-<topic>"         (≤ 256 characters)
//   subscription → SQS queue  "<namespace>-<subscription>"  (≤ 80 characters)
// with ".fifo" appended (within the limit) for FIFO. Characters AWS does not
// take in these names (anything but [A-Za-z0-9_-]) become '_'; a name too
// long keeps its start and ends with '-' and 8 hex digits of a hash of the
// whole, so two long names stay apart.

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::broker::snssqs {

inline constexpr std::size_t k_max_topic_name = 256;
inline constexpr std::size_t k_max_queue_name = 80;

// [A-Za-z0-9_-] only, at most `max` characters (hash-suffixed when cut).
std::string sanitise(std::string_view name, std::size_t max);

std::string topic_name(std::string_view name_space, std::string_view topic, bool fifo);
std::string queue_name(std::string_view name_space, std::string_view subscription, bool fifo);

// A FIFO MessageGroupId: 1 to 128 characters of ASCII 33-126 (others
// become '_'; empty becomes "_").
std::string group_id(std::string_view value);

}  // namespace sluice::broker::snssqs
