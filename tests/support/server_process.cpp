#include "support/server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace sluice::testing {
namespace {

// Builds a child that drops to `user` (when we are root), changes directory,
// redirects output and execs. fork+exec rather than posix_spawn: posix_spawn
// cannot switch user.
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::filesystem::path& log, const std::string& user,
            const std::filesystem::path& cwd) {
  std::vector<std::string> env_strings = {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                                          "LANG=C.UTF-8", "LC_ALL=C.UTF-8"};
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home = "/tmp";
  bool drop = !user.empty() && geteuid() == 0;
  if (drop) {
    passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr) return -1;
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  bool has_home = false;
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
    has_home = has_home || k == "HOME";
  }
  if (!has_home) env_strings.push_back("HOME=" + home);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls from here on.
  setpgid(0, 0);  // its own group: a terminal's ^C does not reach it twice
  if (!log.empty()) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
  }
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
  if (drop) {
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
  }
  execve(args[0], args.data(), envp.data());
  _exit(127);
}

}  // namespace

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

bool server_process::start(const std::function<bool()>& ready, std::chrono::milliseconds limit) {
  pid_ = spawn(opt_.argv, opt_.env, opt_.log, opt_.run_as, opt_.cwd);
  if (pid_ <= 0) return false;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return false;
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool server_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void server_process::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

void server_process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill9();
}

void server_process::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string server_process::log() const {
  std::ifstream in(opt_.log);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void chown_to(const std::filesystem::path& dir, const std::string& user) {
  if (geteuid() != 0 || user.empty()) return;
  passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) return;
  if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) return;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (lchown(e.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) return;
  }
}

int run_command(const std::vector<std::string>& argv, const std::string& run_as,
                const std::filesystem::path& log) {
  pid_t pid = spawn(argv, {}, log, run_as, {});
  if (pid <= 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace sluice::testing
