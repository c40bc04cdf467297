#pragma once
// Shared pieces of the integration tests: one `sluice serve` per test suite on
// the default config, JSON helpers, bounded polling.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "support/http_client.hpp"
#include "support/sluice_process.hpp"

namespace sluice::testing {

inline boost::json::value parse_json(const std::string& s) { return boost::json::parse(s); }

// Polls `done` every 20 ms until it holds or `limit` passes; returns its last value.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

inline std::string user_json(const std::string& name, const std::string& email) {
  return R"({"name":")" + name + R"(","email":")" + email + R"("})";
}

// A `sluice serve` shared by the tests of one suite.
class served_suite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    proc_ = new sluice_process("serve", default_config(), dir_->path(),
                               {{"SLUICE_LOG_ACCESS_LOG", "false"}});
    ASSERT_TRUE(proc_->start()) << proc_->log();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    delete proc_;
    delete dir_;
  }
  static int port() { return proc_->port(); }
  static std::int64_t count_rows(const std::string& where = "1") {
    return sqlite_int(proc_->store_path(), "SELECT count(*) FROM users WHERE " + where);
  }

  static inline temp_dir* dir_ = nullptr;
  static inline sluice_process* proc_ = nullptr;
};

}  // namespace sluice::testing
