// Issue 11 #20: the real binary's log never carries a credential, whatever
// form the URL takes (several NATS servers each with user:pass@, a NATS
// token, a password-only Redis URL, libpq's ?password=).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/sluice_process.hpp"

namespace {

using sluice::testing::default_config;
using sluice::testing::sluice_process;
using sluice::testing::temp_dir;

struct secret_case {
  const char* key;  // environment override
  std::string url;
  std::vector<std::string> secrets;
};

TEST(secrets_log, no_credential_reaches_the_log) {
  // Nothing listens on port 1: each start fails after naming its backend.
  const secret_case cases[] = {
      {"SLUICE_BROKER_URL", "nats://alice:natspw1@127.0.0.1:1,nats://bob:natspw2@127.0.0.1:1",
       {"natspw1", "natspw2"}},
      {"SLUICE_BROKER_URL", "nats://natstoken3@127.0.0.1:1", {"natstoken3"}},
      {"SLUICE_BROKER_URL", "redis://redispw4@127.0.0.1:1", {"redispw4"}},
      {"SLUICE_BROKER_URL", "amqp://guest:amqppw5@127.0.0.1:1/", {"amqppw5"}},
      {"SLUICE_STORE_URL", "postgres://app:pgpw6@127.0.0.1:1/db?password=pgpw7", {"pgpw6", "pgpw7"}},
  };
  for (const auto& c : cases) {
    temp_dir dir;
    sluice_process p("serve", default_config(), dir.path(),
                     {{c.key, c.url}, {"SLUICE_STORE_CONNECT_TIMEOUT_MS", "500"}});
    EXPECT_FALSE(p.start()) << c.url;
    p.stop();
    const auto log = p.log();
    EXPECT_NE(log.find("***"), std::string::npos) << "the masked URL is named: " << log;
    for (const auto& s : c.secrets) EXPECT_EQ(log.find(s), std::string::npos) << s << " in " << log;
  }
}

}  // namespace
