#include "support/shell.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace sluice::testing {

shell_result shell(const std::string& command) {
  shell_result r;
  std::string full = "exec 2>&1 </dev/null; " + command;
  FILE* p = popen(full.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace sluice::testing
