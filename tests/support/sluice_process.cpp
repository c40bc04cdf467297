#include "support/sluice_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/openapi_record.hpp"

extern char** environ;

namespace sluice::testing {

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path temp_dir::write(const std::string& name, const std::string& text) const {
  auto p = path_ / name;
  std::ofstream(p) << text;
  return p;
}

std::filesystem::path default_config() {
  return std::filesystem::path(SLUICE_SOURCE_DIR) / "config" / "sluice.toml";
}

sluice_process::sluice_process(std::string mode, std::filesystem::path config,
                               std::filesystem::path data_dir,
                               std::map<std::string, std::string> env)
    : mode_(std::move(mode)),
      config_(std::move(config)),
      data_dir_(std::move(data_dir)),
      env_(std::move(env)) {}

sluice_process::~sluice_process() {
  kill9();
}

bool sluice_process::start() {
  log_path_ = data_dir_ / ("sluice-" + mode_ + "-" + std::to_string(++starts_) + ".log");
  std::map<std::string, std::string> vars = {
      {"SLUICE_HTTP_LISTEN", "127.0.0.1:0"},
      // Tests that write their own config get the shipped file's open mode
      // (loopback only); the auth tests override it.
      {"SLUICE_AUTH_MODE", "none"},
      {"SLUICE_STORE_URL", "sqlite://" + (data_dir_ / "sluice.db").string()},
      {"SLUICE_BROKER_URL", "sqlite://" + (data_dir_ / "queue.db").string()},
  };
  for (const auto& [k, v] : env_) vars[k] = v;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string s = *e;
    if (!vars.count(s.substr(0, s.find('=')))) env_strings.push_back(s);
  }
  for (const auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::string bin = SLUICE_BINARY, config = config_.string();
  std::vector<std::string> args = wrapper_;
  for (std::string a : {bin, mode_, std::string("--config"), config}) args.push_back(a);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string exe = args.front();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = posix_spawn(&pid_, exe.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return false;

  static const std::regex listening(R"("msg":"listening".*"port":(\d+))");
  static const std::regex running(R"("msg":"worker running")");
  for (int i = 0; i < 400; ++i) {  // ≤ 20 s
    std::string text = log();
    std::smatch m;
    if (std::regex_search(text, m, listening)) {
      port_ = std::stoi(m[1]);
      if (openapi_record::enabled()) register_document(envp);
      return true;
    }
    if (mode_ == "worker" && std::regex_search(text, running)) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The document of the configuration and environment this server started
// with (`sluice openapi`), for the OpenAPI check of its responses.
void sluice_process::register_document(const std::vector<char*>& envp) const {
  const auto out = data_dir_ / ("openapi-" + std::to_string(starts_) + ".json");
  std::string bin = SLUICE_BINARY, cmd = "openapi", flag = "--config", config = config_.string();
  std::vector<char*> argv{bin.data(), cmd.data(), flag.data(), config.data(), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  if (rc != 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    // No document: the server's responses go unchecked, which the validator
    // cannot see, so say it where the test's output shows it.
    std::fprintf(stderr, "openapi_record: `sluice openapi --config %s` failed\n", config.c_str());
    return;
  }
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  openapi_record::register_server(port_, ss.str());
}

pid_t sluice_process::target_pid() const {
  if (wrapper_.empty() || pid_ <= 0) return pid_;
  // The wrapper's (first) child: /proc/PID/task/PID/children.
  std::ifstream in("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children");
  pid_t child = -1;
  if (in >> child) return child;
  return pid_;
}

int sluice_process::stop() {
  if (pid_ <= 0) return -1;
  ::kill(target_pid(), SIGTERM);
  for (int i = 0; i < 600; ++i) {  // ≤ 30 s
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill9();
  return -1;
}

void sluice_process::kill9() {
  if (pid_ <= 0) return;
  const pid_t target = target_pid();
  if (target != pid_) ::kill(target, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string sluice_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::int64_t sqlite_int(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    throw std::runtime_error("cannot open " + db.string());
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* s = nullptr;
  std::int64_t v = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    v = sqlite3_column_int64(s, 0);
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  if (v < 0) throw std::runtime_error("query failed: " + sql);
  return v;
}

}  // namespace sluice::testing
