#include "observe/process_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace sluice::observe {
namespace {

int count_open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
    n -= 3;  // ".", ".." and the directory's own descriptor
  }
  return n;
}

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
  }
  return 0;
}

}  // namespace

std::string process_stats_text() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // Fields after the command name, which is in parentheses and may hold spaces.
  auto close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 2));
  std::string f[50];
  for (int i = 0; i < 50 && rest >> f[i]; ++i) {
  }
  // Indexes are field numbers from proc(5) minus 3.
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  double start = boot_time_seconds() + std::stod(f[19]) / ticks;
  double vsize = std::stod(f[20]);
  double rss = std::stod(f[21]) * page;
  return fmt::format(
      "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
      "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total {}\n"
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {}\n"
      "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
      "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes {}\n"
      "# HELP process_open_fds Number of open file descriptors.\n"
      "# TYPE process_open_fds gauge\nprocess_open_fds {}\n"
      "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
      "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {}\n",
      cpu, rss, vsize, count_open_fds(), start);
}

}  // namespace sluice::observe
