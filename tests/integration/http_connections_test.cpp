// Connection limits and shutdown (issue 11 items 2, 31, 13): past
// http.max_connections a new connection gets 503 + Retry-After while probes
// keep working; a request arriving on a keep-alive connection just after
// SIGTERM is answered; SIGTERM with shutdown_grace_ms = 0 under load exits
// cleanly (run it under ASan: a publish completing after the io_context died
// was a use-after-free).

#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "support/fixtures.hpp"
#include "support/raw_socket.hpp"

namespace sluice::testing {
namespace {

const std::string k_get_users = "GET /v1/users?limit=1 HTTP/1.1\r\nHost: t\r\n\r\n";

std::string probe(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n"; }

TEST(http_connections, past_max_connections_503_with_retry_after_and_probes_still_answer) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_LOG_ACCESS_LOG", "false"}, {"SLUICE_HTTP_MAX_CONNECTIONS", "2"}});
  ASSERT_TRUE(p.start()) << p.log();
  // Two connections fill the limit (accepted in order, so before the next ones).
  auto a = std::make_unique<raw_socket>(p.port());
  auto b = std::make_unique<raw_socket>(p.port());
  a->send(k_get_users);
  b->send(k_get_users);
  EXPECT_EQ(statuses(a->read_response(10'000)), "200");
  EXPECT_EQ(statuses(b->read_response(10'000)), "200");

  raw_socket over(p.port());
  over.send(k_get_users);
  bool closed = false;
  auto out = over.read_until_close(10'000, closed);
  EXPECT_EQ(statuses(out), "503") << out;
  EXPECT_NE(out.find("Retry-After: "), std::string::npos) << out;
  EXPECT_NE(out.find("application/problem+json"), std::string::npos) << out;
  EXPECT_TRUE(closed);

  for (const char* path : {"/healthz", "/readyz"}) {
    raw_socket s(p.port());
    s.send(probe(path));
    EXPECT_EQ(statuses(s.read_response(10'000)), "200") << path;
  }
  // The connections in the limit keep working.
  a->send(k_get_users);
  EXPECT_EQ(statuses(a->read_response(10'000)), "200");

  // Once one closes, a new connection is served again.
  b.reset();
  EXPECT_TRUE(eventually([&] {
    raw_socket s(p.port());
    s.send(k_get_users);
    return statuses(s.read_response(10'000)) == "200";
  }));
  EXPECT_EQ(p.stop(), 0) << p.log();
}

// The soft limit of open files starts at the hard limit, whatever it was.
TEST(http_connections, soft_open_files_limit_is_raised_to_the_hard_limit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max == RLIM_INFINITY || saved.rlim_max <= 256) GTEST_SKIP() << "hard limit too small to lower";
  rlimit lowered = saved;
  lowered.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);  // inherited by the child
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), {{"SLUICE_LOG_ACCESS_LOG", "false"}});
  bool started = p.start();
  setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(started) << p.log();
  std::ifstream limits("/proc/" + std::to_string(p.pid()) + "/limits");
  std::string line, soft, hard;
  while (std::getline(limits, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream in(line.substr(14));
    in >> soft >> hard;
  }
  EXPECT_EQ(soft, hard);
  EXPECT_EQ(soft, std::to_string(saved.rlim_max));
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST(http_connections, request_on_keep_alive_connection_after_sigterm_is_answered) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_LOG_ACCESS_LOG", "false"}, {"SLUICE_HTTP_SHUTDOWN_GRACE_MS", "5000"}});
  ASSERT_TRUE(p.start()) << p.log();
  raw_socket s(p.port());
  s.send(k_get_users);
  ASSERT_EQ(statuses(s.read_response(10'000)), "200");  // now an idle keep-alive connection
  ::kill(p.pid(), SIGTERM);
  ASSERT_TRUE(eventually([&] { return p.log().find("\"stopping\"") != std::string::npos; }));
  s.send(k_get_users);
  bool closed = false;
  auto out = s.read_until_close(10'000, closed);
  auto status = statuses(out);
  EXPECT_TRUE(status == "200" || status == "503") << "no answer after SIGTERM: '" << out << "'";
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  EXPECT_TRUE(closed);
  EXPECT_EQ(p.stop(), 0) << p.log();
}

TEST(http_connections, sigterm_with_zero_grace_under_load_exits_cleanly) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_LOG_ACCESS_LOG", "false"}, {"SLUICE_HTTP_SHUTDOWN_GRACE_MS", "0"}});
  ASSERT_TRUE(p.start()) << p.log();
  std::atomic<bool> stop{false};
  std::atomic<int> accepted{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      http_client c(p.port());
      for (int i = 0; i < 100000 && !stop; ++i) {
        std::string batch = "[";
        for (int k = 0; k < 20; ++k) {
          if (k) batch += ',';
          batch += user_json("load", "l" + std::to_string(t) + "-" + std::to_string(i) + "-" +
                                         std::to_string(k) + "@ok.test");
        }
        batch += ']';
        auto r = c.post("/v1/users", batch);
        if (r.status == 202) ++accepted;
        if (r.status == 0) break;  // the server is gone
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return accepted >= 20; })) << p.log();
  int status = p.stop();
  stop = true;
  for (auto& th : load) th.join();
  auto log = p.log();
  EXPECT_EQ(status, 0) << log;
  EXPECT_EQ(log.find("AddressSanitizer"), std::string::npos) << log;
  EXPECT_NE(log.find("\"stopped\""), std::string::npos) << log;
}

}  // namespace
}  // namespace sluice::testing
