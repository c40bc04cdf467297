#pragma once
// CPU time of another process, read from /proc (Linux): what the drills use
// to say how much of the machine a server or an attacking tool took.

#include <sys/types.h>

#include <chrono>

namespace sluice::testing {

// CPU time (user + system) `pid` has used so far, in seconds; 0 once it is gone.
double cpu_seconds(pid_t pid);

// The CPU `pid` uses from construction to cores(), in cores (1 = one core busy).
class cpu_meter {
 public:
  explicit cpu_meter(pid_t pid);
  double cores() const;

 private:
  pid_t pid_;
  std::chrono::steady_clock::time_point t0_;
  double cpu0_;
};

}  // namespace sluice::testing
