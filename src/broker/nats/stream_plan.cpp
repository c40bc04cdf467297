#include "broker/nats/stream_plan.hpp"

#include <algorithm>

namespace sluice::broker::nats {

stream_plan plan_stream(const stream_settings& have, std::int64_t want_replicas,
                        std::int64_t want_duplicates_ns) {
  stream_plan p;
  p.replicas = std::max(have.replicas, want_replicas);
  if (have.replicas > want_replicas) {
    p.notes.push_back("the stream has " + std::to_string(have.replicas) +
                      " replicas, more than broker.replicas = " + std::to_string(want_replicas) +
                      ": kept (replicas are never lowered)");
  } else if (have.replicas < want_replicas) {
    p.notes.push_back("the stream has " + std::to_string(have.replicas) +
                      " replicas: raised to broker.replicas = " + std::to_string(want_replicas));
  }
  p.duplicates_ns = want_duplicates_ns;
  if (have.max_age_ns > 0 && want_duplicates_ns > have.max_age_ns) {
    p.duplicates_ns = have.max_age_ns;
    p.notes.push_back(
        "the stream's max_age is shorter than broker.dedup_window_ms: its "
        "duplicate window is max_age (" +
        std::to_string(have.max_age_ns / 1'000'000) + " ms)");
  }
  p.update = p.replicas != have.replicas || p.duplicates_ns != have.duplicates_ns;
  return p;
}

}  // namespace sluice::broker::nats
