#pragma once
// Runs a shell command for a test and keeps what it printed.

#include <string>

namespace sluice::testing {

struct shell_result {
  int status = -1;     // the exit status; -1 when it did not exit normally
  std::string output;  // stdout and stderr
};

// Runs `command` with /bin/sh (stdin from /dev/null unless it redirects it).
shell_result shell(const std::string& command);

}  // namespace sluice::testing
