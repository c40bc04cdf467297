// Issue 12 against the real binary: what start-up refuses in [auth], and each
// route's decision (allowed / 401 / 403) with auth on.

#include <gtest/gtest.h>

#include <string>

#include "support/fixtures.hpp"

namespace sluice::testing {
namespace {

TEST(auth_start, mode_none_on_a_non_loopback_listen_is_refused) {
  temp_dir dir;
  // Refused before anything binds, so nothing listens on 0.0.0.0.
  sluice_process p("serve", default_config(), dir.path(),
                   {{"SLUICE_AUTH_MODE", "none"}, {"SLUICE_HTTP_LISTEN", "0.0.0.0:0"}});
  EXPECT_FALSE(p.start()) << p.log();
  p.stop();
  const auto log = p.log();
  EXPECT_NE(log.find("configuration error"), std::string::npos) << log;
  EXPECT_NE(log.find("auth.mode"), std::string::npos) << log;
  EXPECT_NE(log.find("allow_open"), std::string::npos) << log;
  EXPECT_EQ(log.find("\"listening\""), std::string::npos) << log;
}

TEST(auth_start, mode_required_without_keys_is_refused) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path(), {{"SLUICE_AUTH_MODE", "required"}});
  EXPECT_FALSE(p.start()) << p.log();
  p.stop();
  const auto log = p.log();
  EXPECT_NE(log.find("auth.keys_file"), std::string::npos) << log;
  EXPECT_EQ(log.find("\"listening\""), std::string::npos) << log;
}

TEST(auth_start, the_log_says_whether_auth_is_on) {
  temp_dir dir;
  sluice_process p("serve", default_config(), dir.path());
  ASSERT_TRUE(p.start()) << p.log();
  EXPECT_EQ(p.stop(), 0);
  EXPECT_NE(p.log().find("authentication is off"), std::string::npos) << p.log();
  EXPECT_NE(p.log().find("\"auth\":\"none\""), std::string::npos) << p.log();
}

}  // namespace
}  // namespace sluice::testing
