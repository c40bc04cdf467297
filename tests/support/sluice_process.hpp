#pragma once
// Runs the real `sluice` binary for integration tests: a temp data dir, env
// overrides, stdout/stderr to a log file, the port read from the "listening"
// log line (the server binds port 0), stop by PID (SIGTERM or SIGKILL).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sluice::testing {

// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `text` to a file in the directory and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

// The repository's default config file.
std::filesystem::path default_config();

class sluice_process {
 public:
  // `mode` is serve, api or worker. Store and queue live in `data_dir` unless
  // `env` says otherwise.
  sluice_process(std::string mode, std::filesystem::path config, std::filesystem::path data_dir,
                 std::map<std::string, std::string> env = {});
  ~sluice_process();  // SIGKILLs a process still running
  sluice_process(const sluice_process&) = delete;
  sluice_process& operator=(const sluice_process&) = delete;

  // Runs the binary under another program (e.g. strace -f … --): its argv,
  // the sluice command line appended. Signals then go to the wrapper's child.
  void set_wrapper(std::vector<std::string> argv) { wrapper_ = std::move(argv); }
  // Starts and waits (≤ 20 s) until it serves (or, for a worker, runs).
  bool start();
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM, then waits ≤ 30 s; returns the exit status (-1 if it had to be killed).
  int stop();
  // The PID that signals go to: the sluice process itself, under a wrapper too.
  pid_t target_pid() const;
  // SIGKILL and reap: a crash.
  void kill9();
  std::string log() const;
  std::filesystem::path store_path() const { return data_dir_ / "sluice.db"; }

 private:
  void register_document(const std::vector<char*>& envp) const;

  std::string mode_;
  std::filesystem::path config_, data_dir_, log_path_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> wrapper_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
};

// SELECT returning one integer, on a SQLite file (read-only).
std::int64_t sqlite_int(const std::filesystem::path& db, const std::string& sql);

}  // namespace sluice::testing
