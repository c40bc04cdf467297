// Drill 8 (issue 15): slow clients and connection floods against `sluice
// serve`, on loopback, while normal clients post (the ledger load, paced).
//  - slowhttptest (Debian) in slowloris (-H: headers never finished) and
//    slow-body (-B: a POST body trickling in) modes, 1,000 connections each.
//    http.read_timeout (10 s for a whole request once its first byte came)
//    cuts every one of them with a 408; meanwhile the normal clients are
//    served. The short version (make test) asserts outcomes: every normal
//    request is answered 202, none hangs, the server lives on. The full one
//    (make faults) also asserts the goal: success rate and P99 of the
//    normal clients during each attack within 2x of a control run measured
//    just before it, and records the figures (and those of a quiet run).
//    The control is the same slowhttptest, same mode, same 1,000
//    connections, aimed at support/holding_sink, which holds them as
//    Sluice does: everything the attack costs this machine except what it
//    costs Sluice, which is what the goal is about (a server withstanding
//    slow clients). On 2 cores the tool itself is the larger cost: once its
//    probe connection has been answered and closed, slowhttptest 1.8.2
//    polls the closed descriptor (POLLNVAL) and spins one core for the rest
//    of the attack (100 CPU ticks a second; against a target that never
//    answers the probe it uses 1-2), while Sluice used no more CPU under
//    attack than quiet (0.36-0.48 against 0.46-0.65 cores; run at c927c2b).
//    Judged against the quiet run, the goal measured the paced clients and
//    Sluice losing one of the two cores to the attacker (P99 ×2.3-4.2);
//    attackers are not on the server's machine in production, so the
//    control puts this one on it in both runs.
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
#include "support/holding_sink.hpp"
#include "support/http_client.hpp"
#include "support/proc_cpu.hpp"
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
  double tool_cores = 0, server_cores = 0;  // CPU over the window: slowhttptest, sluice
};

// Runs slowhttptest against `port` with `mode_args`; measures from the moment
// it holds ≥ 900 connections for `window` (and the CPU it and `server` use
// meanwhile); then, if `until_cut`, waits (bounded) for it to end — the
// server cutting its connections — otherwise stops it (the control).
attack_result attack(const temp_dir& dir, int port, const std::string& name,
                     const std::vector<std::string>& mode_args, const ledger& l,
                     std::chrono::milliseconds window, pid_t server, bool until_cut) {
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
  const cpu_meter tool(s.pid()), served(server);
  const auto end = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < end) {
    r.peak_connections = std::max(r.peak_connections, open_fds(s.pid()));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  r.to = l.now_ms();
  r.tool_cores = tool.cores();
  r.server_cores = served.cores();
  // read_timeout (10 s) cuts its connections; it ends when none is left.
  if (until_cut) r.exited = eventually([&] { return !s.running(); }, std::chrono::seconds(40));
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
  const pid_t server = p.target_pid();
  // Each round: a quiet window; in make faults the control (slowhttptest at a
  // holding_sink, see the top of the file); then the attack, both measured
  // once the tool holds its connections. make faults runs 3 rounds per mode
  // and judges the median ratio (one round's P99 of a few thousand requests
  // moves with whatever else the 2 cores run); make test runs one.
  const bool controlled = full_drills();
  struct measured {  // a window (ledger time) and the CPU used in it, in cores
    double from = 0, to = 0, tool_cores = 0, server_cores = 0, sink_cores = 0;
  };
  const auto quiet_window = [&] {
    measured w;
    w.from = l.now_ms();
    const cpu_meter served(server);
    std::this_thread::sleep_for(span);
    w.to = l.now_ms();
    w.server_cores = served.cores();
    return w;
  };
  const auto attack_window = [](const attack_result& a) {
    return measured{a.from, a.to, a.tool_cores, a.server_cores, 0};
  };
  struct mode {
    const char* name;
    std::string log;
    std::vector<std::string> args;
    std::vector<measured> quiet_w, control_w, attack_w;
    std::size_t peak = 0;
  };
  // Slow body: a POST announcing 100 kB (under body_limit) sent a few bytes a second.
  std::vector<mode> modes{{"slowloris", "slowloris", {"-H"}, {}, {}, {}, 0},
                          {"slow body", "slowbody", {"-B", "-s", "100000", "-t", "POST"}, {}, {}, {}, 0}};
  const int rounds = full_drills() ? 3 : 1;
  for (auto& m : modes) {
    for (int i = 0; i < rounds; ++i) {
      m.quiet_w.push_back(quiet_window());
      if (controlled) {
        holding_sink sink;
        ASSERT_NE(sink.port(), 0) << "no listener for the control";
        const auto c = attack(dir, sink.port(), m.log + "-control", m.args, l, span, server, false);
        EXPECT_GE(c.peak_connections, 900u) << m.name << ": the control did not hold 1,000 connections";
        m.control_w.push_back(attack_window(c));
        m.control_w.back().sink_cores = sink.stop();
      }
      const auto a = attack(dir, port, m.log, m.args, l, span, server, true);
      m.attack_w.push_back(attack_window(a));
      m.peak = std::max(m.peak, a.peak_connections);
      EXPECT_GE(a.peak_connections, 900u) << m.name << ": slowhttptest did not hold 1,000 connections";
      EXPECT_TRUE(a.exited) << m.name << ": slowhttptest's connections were not cut (read_timeout)";
    }
  }
  EXPECT_TRUE(l.wait_successes(l.successes(), 100, 60s)) << p.log();
  l.stop();

  auto ratio = [](double attack, double base) { return base > 0 ? attack / base : 0.0; };
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  auto two = [](double x) {
    char b[16];
    std::snprintf(b, sizeof b, "%.2f", x);
    return std::string(b);
  };
  auto list = [&](const std::vector<double>& v) {
    std::string out;
    for (double x : v) out += (out.empty() ? "" : ", ") + two(x);
    return rounds > 1 ? "median " + two(median(v)) + " of " + out : out;
  };
  std::string note;
  bool goal = true;
  for (auto& m : modes) {
    std::vector<double> vs_control, vs_quiet;
    std::vector<window_stats> quiet, control, attacked;
    for (int i = 0; i < rounds; ++i) {
      const auto stats = [&](const measured& w) { return stats_between(l, w.from, w.to); };
      quiet.push_back(stats(m.quiet_w[i]));
      attacked.push_back(stats(m.attack_w[i]));
      vs_quiet.push_back(ratio(attacked[i].p99_ms, quiet[i].p99_ms));
      if (controlled) {
        control.push_back(stats(m.control_w[i]));
        vs_control.push_back(ratio(attacked[i].p99_ms, control[i].p99_ms));
      }
      std::fprintf(stderr,
                   "[drill] 8 %s round %d: quiet %s (sluice %.2f cores) | control %s (slowhttptest "
                   "%.2f, sink %.2f, sluice %.2f cores) | attack (peak %zu conns) %s (slowhttptest %.2f, "
                   "sluice %.2f cores) | P99 x%.2f of control, x%.2f of quiet\n",
                   m.name, i + 1, quiet[i].text().c_str(), m.quiet_w[i].server_cores,
                   controlled ? control[i].text().c_str() : "-",
                   controlled ? m.control_w[i].tool_cores : 0.0,
                   controlled ? m.control_w[i].sink_cores : 0.0,
                   controlled ? m.control_w[i].server_cores : 0.0, m.peak, attacked[i].text().c_str(),
                   m.attack_w[i].tool_cores, m.attack_w[i].server_cores,
                   controlled ? vs_control[i] : 0.0, vs_quiet[i]);
      // Outcomes (both versions): every normal request during the attack was
      // answered 202 (no refusal, no timeout, no hang).
      EXPECT_GT(attacked[i].requests, 0u);
      EXPECT_EQ(attacked[i].successes, attacked[i].requests) << m.name << ": " << attacked[i].text();
    }
    if (controlled) {
      // The goal, asserted where the figures are recorded: success rate and
      // P99 within 2x of the control measured just before (median of rounds).
      for (int i = 0; i < rounds; ++i) {
        EXPECT_GE(attacked[i].success_rate(), control[i].success_rate() / 2) << m.name;
      }
      const double r = median(vs_control);
      goal = goal && r <= 2.0;
      EXPECT_LE(r, 2.0) << m.name << ": median P99 ratio to the control over " << rounds
                        << " rounds";
    }
    note += (note.empty() ? "" : "; ") + std::string(m.name) + ": quiet " + quiet[0].text() +
            (controlled ? ", control " + control[0].text() : "") + ", attack " +
            attacked[0].text() + (rounds > 1 ? " (round 1)" : "") + "; slowhttptest " +
            (controlled ? two(m.control_w[0].tool_cores) + " control / " : "") +
            two(m.attack_w[0].tool_cores) + " attack cores, sluice " +
            two(m.quiet_w[0].server_cores) + " quiet / " + two(m.attack_w[0].server_cores) +
            " attack; P99 ratio" +
            (controlled ? " to control " + list(vs_control) + ", to quiet " : " to quiet ") +
            list(vs_quiet);
  }
  note += !controlled ? "; the ×2 goal (against the control) is asserted by make faults only"
          : goal      ? "; ×2 goal held"
                      : "; ×2 goal NOT held";
  EXPECT_EQ(::kill(p.target_pid(), 0), 0) << "sluice did not survive\n" << p.log();
  {
    http_client c(port);
    EXPECT_EQ(c.get("/healthz").status, 200);
  }
  char window[200];
  std::snprintf(window, sizeof window,
                "%d × (slowloris, peak %zu conns) + %d × (slow body, peak %zu conns), %lld s measured "
                "each%s",
                rounds, modes[0].peak, rounds, modes[1].peak, static_cast<long long>(span.count()),
                controlled ? ", after a control and a quiet window" : ", after a quiet window");
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
