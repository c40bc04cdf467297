#pragma once
// A duration as the C clients' struct timeval (hiredis connect and command
// timeouts, librabbitmq waits and socket timeouts): one conversion for all
// of them.

#include <sys/time.h>

#include <chrono>

namespace sluice {

// Whole seconds of `d`, then the rest in microseconds.
inline timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

}  // namespace sluice
