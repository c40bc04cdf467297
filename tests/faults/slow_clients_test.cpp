// Drill 8 (issue 15): slow clients and connection floods against `sluice
// serve`, on loopback, while normal clients post (the ledger load, paced).
//  - slowhttptest (Debian) in slowloris (-H: headers never finished) and
//    slow-body (-B: a POST body trickling in) modes, 1,000 connections each.
//    http.read_timeout (10 s for a whole request once its first byte came)
//    cuts every one of them with a 408; meanwhile the normal clients are
//    served. The short version (make test) asserts outcomes: every normal
//    request is answered 202, none hangs, the server lives on. The full one
//    (make faults) also asserts the goal: success rate and P99 of the
//    normal clients during each attack within 2x of the quiet run measured
//    just before it, and records the figures.
//  - a connection flood past http.max_connections: with the cap held by open
//    connections, every new connection gets 503 + Retry-After (or, past the
//    few the server answers at once, is closed at once), never a hang; the
//    connections inside the cap keep being served, and once the flood is
//    gone new connections are served again.

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "faults/drill.hpp"
#include "support/http_client.hpp"
#include "support/raw_socket.hpp"

namespace sluice::testing::drill {
namespace {

// The soft open-files limit at the hard one (this process and the children
// it spawns hold more than 1,024 sockets); false if that is still too few.
bool enough_open_files(rlim_t need) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return false;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  return r.rlim_cur >= need;
}

// Open file descriptors of a process (its sockets, for slowhttptest).
std::size_t open_fds(pid_t pid) {
  std::size_t n = 0;
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (d == nullptr) return 0;
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n > 2 ? n - 2 : 0;  // . and ..
}

// The normal clients' figures over the requests begun in [from, to).
struct window_stats {
  std::size_t requests = 0, successes = 0;
  double p99_ms = 0;
  double success_rate() const {
    return requests == 0 ? 0 : static_cast<double>(successes) / static_cast<double>(requests);
  }
  std::string text() const {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%zu/%zu ok, P99 %.1f ms", successes, requests, p99_ms);
    return buf;
  }
};

window_stats stats_between(const ledger& l, double from, double to) {
  window_stats s;
  std::vector<double> latency;
  for (const auto& e : l.entries()) {
    if (e.start_ms < from || e.start_ms >= to) continue;
    ++s.requests;
    if (e.outcome == request_outcome::accepted) ++s.successes;
    // A request that failed counts with its whole wait (a hang is the worst latency).
    latency.push_back(e.end_ms - e.start_ms);
  }
  if (!latency.empty()) {
    std::sort(latency.begin(), latency.end());
    const auto i = static_cast<std::size_t>(0.99 * static_cast<double>(latency.size() - 1));
    s.p99_ms = latency[i];
  }
  return s;
}

// Sluice for these drills: default limits (read_timeout 10 s) unless `extra`.
std::map<std::string, std::string> serve_env(int port,
                                             const std::map<std::string, std::string>& extra = {}) {
  auto env = base_env(port);
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

ledger_options normal_clients(int port, const std::string& tag) {
  ledger_options o;
  o.port = port;
  o.connections = 8;
  o.pause = std::chrono::milliseconds(10);  // paced: latency, not throughput
  o.tag = tag;
  return o;
}

struct attack_result {
  std::size_t peak_connections = 0;
  double from = 0, to = 0;  // the measured window (ledger time)
  bool exited = false;      // slowhttptest ended by itself (its connections were cut)
};

// Runs slowhttptest against `port` with `mode_args`; measures from the moment
// it holds ≥ 900 connections for `window`; then waits (bounded) for it to end.
attack_result attack(const temp_dir& dir, int port, const std::string& name,
                     const std::vector<std::string>& mode_args, const ledger& l,
                     std::chrono::milliseconds window) {
  server_process::options o;
  o.argv = {"/usr/bin/slowhttptest"};
  o.argv.insert(o.argv.end(), mode_args.begin(), mode_args.end());
  for (const char* a : {"-c", "1000", "-r", "500", "-i", "1", "-l", "40", "-p", "3"}) {
    o.argv.emplace_back(a);
  }
  o.argv.insert(o.argv.end(), {"-u", "http://127.0.0.1:" + std::to_string(port) + "/v1/users"});
  o.log = dir.path() / (name + ".log");
  server_process s(o);
  attack_result r;
  EXPECT_TRUE(s.start([] { return true; }, std::chrono::seconds(5))) << s.log();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && s.running()) {
    r.peak_connections = std::max(r.peak_connections, open_fds(s.pid()));
    if (r.peak_connections >= 900) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.from = l.now_ms();
  const auto end = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < end) {
    r.peak_connections = std::max(r.peak_connections, open_fds(s.pid()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  r.to = l.now_ms();
  // read_timeout (10 s) cuts its connections; it ends when none is left.
  r.exited = eventually([&] { return !s.running(); }, std::chrono::seconds(40));
  s.stop(std::chrono::seconds(2));
  return r;
}

TEST(drill_slow_clients, slowloris_and_slow_body_at_1000_connections_while_clients_post) {
  if (::access("/usr/bin/slowhttptest", X_OK) != 0) GTEST_SKIP() << "slowhttptest is not installed";
  ASSERT_TRUE(enough_open_files(4096)) << "the open-files limit is too low for 1,000 connections";
  temp_dir dir;
  const int port = free_port();
  sluice_process p("serve", default_config(), dir.path(), serve_env(port));
  ASSERT_TRUE(p.start()) << p.log();
  ledger l(normal_clients(port, "sc"));
  l.start();
  ASSERT_TRUE(l.wait_successes(0, 100, 60s)) << p.log();
  const auto span = full_drills() ? 6s : 4s;
  const auto measure = [&](std::chrono::milliseconds d) {
    const double from = l.now_ms();
    std::this_thread::sleep_for(d);
    return std::pair{from, l.now_ms()};
  };
  // Each round: a quiet window, then the attack measured once it holds its
  // connections. make faults runs 3 rounds per mode and judges the median
  // ratio (one round's P99 of a few thousand requests moves with whatever
  // else the 2 cores run); make test runs one.
  struct mode {
    const char* name;
    std::vector<std::string> args;
    std::vector<window_stats> quiet, attacked;
    std::vector<double> ratios;
    std::size_t peak = 0;
  };
  // Slow body: a POST announcing 100 kB (under body_limit) sent a few bytes a second.
  std::vector<mode> modes{{"slowloris", {"-H"}, {}, {}, {}, 0},
                          {"slow body", {"-B", "-s", "100000", "-t", "POST"}, {}, {}, {}, 0}};
  const int rounds = full_drills() ? 3 : 1;
  std::vector<std::pair<double, double>> quiet_windows, attack_windows;
  for (auto& m : modes) {
    for (int i = 0; i < rounds; ++i) {
      quiet_windows.push_back(measure(span));
      const auto a = attack(dir, port, m.name[5] == 'b' ? "slowbody" : "slowloris", m.args, l, span);
      attack_windows.emplace_back(a.from, a.to);
      m.peak = std::max(m.peak, a.peak_connections);
      EXPECT_GE(a.peak_connections, 900u) << m.name << ": slowhttptest did not hold 1,000 connections";
      EXPECT_TRUE(a.exited) << m.name << ": slowhttptest's connections were not cut (read_timeout)";
    }
  }
  EXPECT_TRUE(l.wait_successes(l.successes(), 100, 60s)) << p.log();
  l.stop();

  auto ratio = [](double attack, double quiet) { return quiet > 0 ? attack / quiet : 0.0; };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  std::string note;
  bool goal = true;
  std::size_t k = 0;
  for (auto& m : modes) {
    for (int i = 0; i < rounds; ++i, ++k) {
      m.quiet.push_back(stats_between(l, quiet_windows[k].first, quiet_windows[k].second));
      m.attacked.push_back(stats_between(l, attack_windows[k].first, attack_windows[k].second));
      m.ratios.push_back(ratio(m.attacked.back().p99_ms, m.quiet.back().p99_ms));
      std::fprintf(stderr, "[drill] 8 %s round %d: quiet %s | attack (peak %zu conns) %s | P99 x%.2f\n",
                   m.name, i + 1, m.quiet.back().text().c_str(), m.peak,
                   m.attacked.back().text().c_str(), m.ratios.back());
      // Outcomes (both versions): every normal request during the attack was
      // answered 202 (no refusal, no timeout, no hang).
      EXPECT_GT(m.attacked.back().requests, 0u);
      EXPECT_EQ(m.attacked.back().successes, m.attacked.back().requests)
          << m.name << ": " << m.attacked.back().text();
    }
    const double r = median(m.ratios);
    goal = goal && r <= 2.0;
    if (full_drills()) {
      // The goal, asserted where the figures are recorded: success rate and
      // P99 within 2x of the quiet run measured just before (median of rounds).
      for (int i = 0; i < rounds; ++i) {
        EXPECT_GE(m.attacked[i].success_rate(), m.quiet[i].success_rate() / 2) << m.name;
      }
      EXPECT_LE(r, 2.0) << m.name << ": median P99 ratio over " << rounds << " rounds";
    }
    char buf[320];
    std::snprintf(buf, sizeof buf, "%s%s: quiet %s, attack %s%s", note.empty() ? "" : "; ",
                  m.name, m.quiet[0].text().c_str(), m.attacked[0].text().c_str(),
                  rounds > 1 ? " (round 1)" : "");
    note += buf;
    std::string ratios;
    for (double x : m.ratios) ratios += (ratios.empty() ? "" : ", ") + std::to_string(x).substr(0, 4);
    std::snprintf(buf, sizeof buf, ", P99 ratio %s%s", rounds > 1 ? ("median " + std::to_string(r).substr(0, 4) + " of ").c_str() : "",
                  ratios.c_str());
    note += buf;
  }
  note += !full_drills() ? "; the ×2 goal is asserted by make faults only"
          : goal         ? "; ×2 goal held"
                         : "; ×2 goal NOT held";
  EXPECT_EQ(::kill(p.target_pid(), 0), 0) << "sluice did not survive\n" << p.log();
  {
    http_client c(port);
    EXPECT_EQ(c.get("/healthz").status, 200);
  }
  char window[200];
  std::snprintf(window, sizeof window,
                "%d × (slowloris, peak %zu conns) + %d × (slow body, peak %zu conns), %lld s measured each",
                rounds, modes[0].peak, rounds, modes[1].peak, static_cast<long long>(span.count()));
  finish(l, port, "8 slow clients (slowhttptest -H, -B; 8 paced clients)", "sqlite/sqlite", window,
         "all cut by read_timeout (408)", note);
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST(drill_slow_clients, connection_flood_past_max_connections_gets_503_not_a_hang) {
  constexpr int cap = 200, flood = 1000;
  ASSERT_TRUE(enough_open_files(4096)) << "the open-files limit is too low for the flood";
  temp_dir dir;
  const int port = free_port();
  sluice_process p("serve", default_config(), dir.path(),
                   serve_env(port, {{"SLUICE_HTTP_MAX_CONNECTIONS", std::to_string(cap)}}));
  ASSERT_TRUE(p.start()) << p.log();
  auto o = normal_clients(port, "fl");
  ledger l(o);
  l.start();
  ASSERT_TRUE(l.wait_successes(0, 100, 60s)) << p.log();
  // Fill the cap with idle connections (idle_timeout 60 s keeps them), then
  // wait until a new connection is refused: the cap is reached.
  std::vector<std::unique_ptr<raw_socket>> held;
  for (int i = 0; i < cap - static_cast<int>(o.connections); ++i) {
    held.push_back(std::make_unique<raw_socket>(port));
  }
  const std::string get = "GET /v1/users?limit=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  ASSERT_TRUE(eventually([&] {
    raw_socket s(port);
    s.send(get);
    bool closed = false;
    return statuses(s.read_until_close(5000, closed)) == "503";
  })) << "the cap was not reached";
  const double from = l.now_ms();
  const auto before = l.successes();
  // The flood: every connection sends a request, then each is read until
  // the server closes it (bounded: 10 s without a byte is a hang).
  std::vector<std::unique_ptr<raw_socket>> wave;
  for (int i = 0; i < flood; ++i) {
    wave.push_back(std::make_unique<raw_socket>(port));
    if (wave.back()->connected()) wave.back()->send(get);
  }
  std::size_t refused_503 = 0, closed_unanswered = 0, hung = 0, other = 0, no_retry_after = 0,
              not_connected = 0;
  for (auto& s : wave) {
    if (!s->connected()) {
      ++not_connected;
      continue;
    }
    bool closed = false;
    const auto out = s->read_until_close(10'000, closed);
    const auto st = statuses(out);
    if (!closed) {
      ++hung;
    } else if (st == "503") {
      ++refused_503;
      if (out.find("Retry-After: ") == std::string::npos) ++no_retry_after;
    } else if (st.empty()) {
      ++closed_unanswered;
    } else {
      ++other;
    }
  }
  // Probes keep their reserved connections.
  {
    raw_socket s(port);
    s.send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    bool closed = false;
    EXPECT_EQ(statuses(s.read_until_close(10'000, closed)), "200");
  }
  const double flood_ms = l.now_ms() - from;
  // The normal clients, inside the cap, were served all along.
  EXPECT_TRUE(l.wait_successes(before, 50, 30s)) << p.log();
  wave.clear();
  held.clear();
  const double released = l.now_ms();
  EXPECT_TRUE(eventually([&] {
    raw_socket s(port);
    s.send(get);
    bool closed = false;
    return statuses(s.read_until_close(5000, closed)) == "200";
  })) << "not served again after the flood";
  const double served_again = l.now_ms() - released;
  l.stop();
  std::fprintf(stderr,
               "[drill] 8 flood: %d connections past a cap of %d: %zu × 503, %zu closed unanswered, "
               "%zu hung, %zu other, %zu not connected, %zu 503 without Retry-After\n",
               flood, cap, refused_503, closed_unanswered, hung, other, not_connected,
               no_retry_after);
  EXPECT_EQ(hung, 0u);
  EXPECT_EQ(other, 0u);
  EXPECT_EQ(no_retry_after, 0u);
  EXPECT_GT(refused_503, 0u);
  EXPECT_EQ(refused_503 + closed_unanswered + not_connected, static_cast<std::size_t>(flood));
  const auto normal = stats_between(l, from, from + flood_ms);
  EXPECT_EQ(normal.successes, normal.requests) << normal.text();
  EXPECT_EQ(::kill(p.target_pid(), 0), 0) << "sluice did not survive\n" << p.log();
  char note[320];
  std::snprintf(note, sizeof note,
                "%zu × 503 + Retry-After, %zu closed at once, %zu hung; clients inside the cap %s",
                refused_503, closed_unanswered, hung, normal.text().c_str());
  finish(l, port, "8 connection flood (1000 past http.max_connections=200)", "sqlite/sqlite",
         ms(flood_ms), "served again after " + ms(served_again), note);
  EXPECT_EQ(p.stop(), 0) << p.log();
}

}  // namespace
}  // namespace sluice::testing::drill
