#pragma once
// What declare() may change on a stream that already exists (issue 11 #11).
// Pure logic, no server: unit-tested on its own. Private to src/broker/nats/.
//
// An operator may have tuned a stream (num_replicas 3, max_age, limits…):
// Sluice updates an existing stream from its current configuration and
// changes only
//  - the duplicate window, which is Sluice's own setting
//    (broker.dedup_window_ms), clamped to the stream's max_age when it has one
//    (the server refuses a window longer than max_age);
//  - the replicas, raised to broker.replicas when fewer — never lowered.
// Every difference it keeps or clamps is reported in `notes` (logged as a
// warning by the caller).

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::broker::nats {

struct stream_settings {
  std::int64_t replicas = 1;
  std::int64_t duplicates_ns = 0;
  std::int64_t max_age_ns = 0;  // 0: unlimited
};

struct stream_plan {
  bool update = false;        // whether the stream must be updated
  std::int64_t replicas = 1;  // what it should have
  std::int64_t duplicates_ns = 0;
  std::vector<std::string> notes;
};

stream_plan plan_stream(const stream_settings& have, std::int64_t want_replicas,
                        std::int64_t want_duplicates_ns);

}  // namespace sluice::broker::nats
