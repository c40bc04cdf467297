// Drill 10 (issue 15): the wall clock of `sluice serve` jumps, forward and
// back, in the middle of the ledger load. The machine's clock is not
// touched: libfaketime (Debian `faketime`) is preloaded into the process
// with its offset read from a file the drill rewrites, and only
// CLOCK_REALTIME is faked (FAKETIME_DONT_FAKE_MONOTONIC=1), which is what an
// NTP step or an operator's `date -s` does to a running process.
// What must hold, on the embedded queue and store:
//  - nothing lost, doubled or phantom (a step back must not hide the
//    waiting deliveries, a step forward must not expire every lease);
//  - the duplicate window of an Idempotency-Key (24 h) is not ended by a
//    step of two days forward: the same key with another body is still 409,
//    with the same body the same message id, and one row in the end;
//  - a key's token bucket neither refills at a step forward nor stops
//    refilling at a step back;
//  - the request deadline (http.read_timeout_ms) still cuts a slow request
//    with 408 after a step back, and cuts none of the load's after a step
//    forward.
// The records' own times (received_at) are wall-clock facts: they follow the
// jump, which is how the drill sees that the jump took effect.

#include <unistd.h>

#include <cmath>
#include <ctime>
#include <optional>

#include "faults/drill.hpp"
#include "support/http_client.hpp"
#include "support/raw_socket.hpp"
#include "support/shell.hpp"

namespace sluice::testing::drill {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_faketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
constexpr const char* k_pepper = "clock-drill-pepper-0123456789abcdef";

// The last line `sluice keys ARGS` printed (the new key, for `create`).
std::string run_keys(const std::string& args) {
  auto r = shell(std::string("SLUICE_AUTH_PEPPER=") + k_pepper + " '" + SLUICE_BINARY + "' keys " +
                 args + " 2>/dev/null");
  std::string out = std::move(r.output);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  auto nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

// Seconds between the process's wall clock and the real one, seen in the
// received_at of a record it accepted (Prefer: wait returns the row).
std::optional<double> process_offset_s(int port, const std::string& key, int n) {
  http_client c(port);
  const auto real = static_cast<double>(std::time(nullptr));
  auto r = c.post("/v1/users", user_json("Probe", "probe-" + std::to_string(n) + "@clock.test"),
                  {{"Prefer", "wait=10"}, {"X-API-Key", key}});
  if (r.status != 201) return std::nullopt;
  const auto at = r.body.find("\"received_at\":\"");
  if (at == std::string::npos) return std::nullopt;
  std::tm tm{};
  if (strptime(r.body.c_str() + at + 15, "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  return static_cast<double>(timegm(&tm)) - real;
}

class clock_file {
 public:
  explicit clock_file(fs::path p) : path_(std::move(p)) { set("+0"); }
  void set(const std::string& offset) {
    const auto tmp = path_.string() + ".tmp";
    std::ofstream(tmp) << offset << "\n";
    fs::rename(tmp, path_);  // whole: the library never reads half a line
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(drill_clock, wall_clock_jumps_forward_and_back_under_load) {
  if (::access(k_faketime, R_OK) != 0) GTEST_SKIP() << "libfaketime is not installed (faketime)";
  temp_dir dir;
  const int port = free_port();
  const auto keys = dir.path() / "keys.json";
  const auto load_key =
      run_keys("create --keys-file '" + keys.string() + "' --name load --scopes '*'");
  const auto slow_key = run_keys("create --keys-file '" + keys.string() +
                                 "' --name slow --scopes publish:users --rate 0.2");
  ASSERT_EQ(load_key.substr(0, 4), "slk_") << load_key;
  ASSERT_EQ(slow_key.substr(0, 4), "slk_") << slow_key;
  clock_file clock(dir.path() / "faketime");
  auto env = base_env(port);
  env["SLUICE_AUTH_MODE"] = "required";
  env["SLUICE_AUTH_KEYS_FILE"] = keys.string();
  env["SLUICE_AUTH_PEPPER"] = k_pepper;
  env["SLUICE_HTTP_READ_TIMEOUT_MS"] = "2000";
  env["LD_PRELOAD"] = k_faketime;
  env["FAKETIME_TIMESTAMP_FILE"] = clock.path().string();
  env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1";
  env["FAKETIME_CACHE_DURATION"] = "1";
  sluice_process p("serve", default_config(), dir.path(), env);
  ASSERT_TRUE(p.start()) << p.log();
  const bool full = full_drills();

  ledger_options o;
  o.port = port;
  o.connections = 16;
  o.tag = "ck";
  o.pause = 2ms;
  o.headers = {{"X-API-Key", load_key}};
  o.verify_headers = o.headers;
  ledger l(o);
  l.start();
  ASSERT_TRUE(l.wait_successes(0, 300, 60s)) << p.log();
  int probes = 0;
  auto offset = [&] { return process_offset_s(port, load_key, ++probes); };
  auto jumped_to = [&](double want_s) {
    return eventually(
        [&] {
          auto off = offset();
          return off && std::fabs(*off - want_s) < 600;
        },
        20s);
  };
  ASSERT_TRUE(jumped_to(0)) << p.log();

  http_client c(port);
  const std::vector<std::pair<std::string, std::string>> idem = {{"Idempotency-Key", "clock-1"},
                                                                 {"X-API-Key", load_key}};
  auto first = c.post("/v1/users", user_json("Same", "same@clock.test"), idem);
  ASSERT_EQ(first.status, 202) << first.body;
  // The slow key's bucket: one record per 5 s; the first is in, the next not.
  const std::vector<std::pair<std::string, std::string>> slow = {{"X-API-Key", slow_key}};
  ASSERT_EQ(c.post("/v1/users", user_json("Slow", "slow-0@clock.test"), slow).status, 202);
  const auto drained_at = std::chrono::steady_clock::now();
  EXPECT_EQ(c.post("/v1/users", user_json("Slow", "slow-1@clock.test"), slow).status, 429);

  // Forward two days: past the 24 h duplicate window, if it were measured on the wall clock.
  const double forward_at = l.now_ms();
  clock.set("+2d");
  ASSERT_TRUE(jumped_to(2 * 86400)) << p.log();
  const double forward_seen = l.now_ms();
  const auto since_drained = std::chrono::steady_clock::now() - drained_at;
  if (since_drained < 4s) {
    // A wall-clock bucket would be full again: two days passed for it.
    EXPECT_EQ(c.post("/v1/users", user_json("Slow", "slow-2@clock.test"), slow).status, 429);
  }
  auto other = c.post("/v1/users", user_json("Other", "other@clock.test"), idem);
  EXPECT_EQ(other.status, 409) << "the duplicate window ended at the jump: " << other.body;
  auto again = c.post("/v1/users", user_json("Same", "same@clock.test"), idem);
  EXPECT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(parse_json(again.body).at("id"), parse_json(first.body).at("id"));
  ASSERT_TRUE(l.wait_successes(l.successes(), 300, 60s)) << p.log();

  // Back three days (one day behind the real clock).
  const double back_at = l.now_ms();
  clock.set("-1d");
  ASSERT_TRUE(jumped_to(-86400)) << p.log();
  const double back_seen = l.now_ms();
  // The bucket still refills (a wall-clock one would wait three days).
  EXPECT_TRUE(eventually(
      [&] {
        return c.post("/v1/users", user_json("Slow", "slow-3@clock.test"), slow).status == 202;
      },
      15s))
      << "the token bucket stopped refilling after the step back";
  // The request deadline still cuts a request whose body never comes.
  {
    raw_socket s(port);
    ASSERT_TRUE(s.connected());
    ASSERT_TRUE(s.send("POST /v1/users HTTP/1.1\r\nHost: x\r\nX-API-Key: " + load_key +
                       "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"));
    const auto answer = s.read_response(10'000);
    EXPECT_NE(statuses(answer).find("408"), std::string::npos) << answer.substr(0, 300);
  }
  again = c.post("/v1/users", user_json("Same", "same@clock.test"), idem);
  EXPECT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(parse_json(again.body).at("id"), parse_json(first.body).at("id"));
  ASSERT_TRUE(l.wait_successes(l.successes(), 300, 60s)) << p.log();
  if (full) {
    // And forward to the real time again, then a while of load on it.
    clock.set("+0");
    EXPECT_TRUE(jumped_to(0)) << p.log();
    EXPECT_TRUE(l.wait_successes(l.successes(), 2000, 120s)) << p.log();
  }
  l.stop();

  std::uint64_t cut = 0;
  for (const auto& e : l.entries()) cut += e.status == 408 ? 1 : 0;
  EXPECT_EQ(cut, 0u) << "requests of the load cut by a deadline";
  finish(l, port, "10 clock jumps (+2 d, then -3 d)", "sqlite/sqlite",
         "seen after " + ms(forward_seen - forward_at) + " / " + ms(back_seen - back_at), "-",
         "dedup 409 kept, bucket steady, 408 kept");
  // One row for the idempotent record, whatever the clock did.
  http_client reader(port);
  auto rows = reader.get("/v1/users?email=eq.same@clock.test", {{"X-API-Key", load_key}});
  ASSERT_EQ(rows.status, 200) << rows.body;
  EXPECT_EQ(parse_json(rows.body).as_array().size(), 1u) << rows.body;
  EXPECT_EQ(p.stop(), 0) << p.log();
}

}  // namespace
}  // namespace sluice::testing::drill
