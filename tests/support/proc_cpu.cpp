#include "support/proc_cpu.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace sluice::testing {

double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  const std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces: count fields after its ')'.
  const auto paren = s.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream in(s.substr(paren + 1));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {  // fields 14, 15: utime, stime
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

cpu_meter::cpu_meter(pid_t pid)
    : pid_(pid), t0_(std::chrono::steady_clock::now()), cpu0_(cpu_seconds(pid)) {}

double cpu_meter::cores() const {
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0_;
  return wall.count() > 0 ? (cpu_seconds(pid_) - cpu0_) / wall.count() : 0;
}

}  // namespace sluice::testing
