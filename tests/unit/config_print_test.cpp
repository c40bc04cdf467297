// Issue 12 "sluice config check prints the effective config with secrets
// masked": every section and key is printed with its effective value, the
// output loads back to the same configuration, and no secret survives (URL
// passwords and tokens masked by app/url_mask; a password file's path shown,
// its contents never read).

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "app/url_mask.hpp"
#include "config/config.hpp"

namespace sluice::config {
namespace {

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string print(const config& cfg) {
  return effective_toml(cfg, [](std::string_view u) { return app::mask_password(u); });
}

const std::string k_text = R"(
[http]
listen = "127.0.0.1:0"
cors_origins = "https://app.example"
[store]
password_file = "/run/secrets/pg"
[slo]
error_rate = 0.005
[[resources]]
name = "users"
  [[resources.fields]]
  name = "name"
  required = true
  max_length = 200
  [[resources.fields]]
  name = "age"
  type = "integer"
  minimum = 0
  maximum = 150
  index = true
)";

TEST(config_print, every_key_with_defaults_and_overrides) {
  auto cfg = parse(k_text, "print.toml", env_of({{"SLUICE_HTTP_THREADS", "3"}}));
  auto out = print(cfg);
  for (const char* line :
       {"[http]\n", "listen = \"127.0.0.1:0\"\n", "threads = 3\n", "body_limit = 1048576\n",
        "read_timeout_ms = 10000\n", "cors_origins = \"https://app.example\"\n", "[store]\n",
        "url = \"sqlite://data/sluice.db\"\n", "migrate_on_start = true\n", "[broker]\n",
        "namespace = \"sluice\"\n", "[pipeline]\n", "batch_size = 500\n", "[log]\n",
        "level = \"info\"\n", "[slo]\n", "error_rate = 0.005\n", "[cache]\n", "control = \"no-cache\"\n",
        "url = \"\"\n", "[auth]\nmode = \"required\"\nallow_open = false\n", "pepper_file = \"\"\n",
        "default_rate = 0\n", "[[resources]]\nname = \"users\"\n", "  name = \"age\"\n  type = \"integer\"\n",
        "  minimum = 0.0\n  maximum = 150.0\n  index = true\n",
        "[[subscriptions]]\nname = \"users\"\nresource = \"users\"\ntable = \"users\"\n"}) {
    EXPECT_NE(out.find(line), std::string::npos) << "missing: " << line << "\n" << out;
  }
}

TEST(config_print, loads_back_to_the_same_configuration) {
  auto cfg = parse(k_text, "print.toml", env_of({}));
  auto again = parse(print(cfg), "print.toml", env_of({}));
  EXPECT_EQ(print(again), print(cfg));
  EXPECT_EQ(again.http.cors_origins, "https://app.example");
  EXPECT_EQ(again.slo.error_rate, 0.005);
  ASSERT_EQ(again.resources.size(), 1u);
  ASSERT_EQ(again.resources[0].fields.size(), 2u);
  EXPECT_EQ(again.resources[0].fields[1].maximum, 150.0);
  EXPECT_TRUE(again.resources[0].fields[1].indexed);
  EXPECT_TRUE(again.resources[0].fields[0].required);
}

TEST(config_print, secrets_are_masked) {
  // Secrets reach a config only through the environment (the file may not
  // carry them); the printout masks them all the same.
  auto cfg = parse(k_text, "print.toml",
                   env_of({{"SLUICE_STORE_URL", "postgres://app:s3cret-pw@db:5432/app?password=qq-pw"},
                           {"SLUICE_BROKER_URL", "nats://tok-en-123@nats:4222"},
                           {"SLUICE_CACHE_URL", "redis://:r3dis-pw@cache:6379"}}));
  auto out = print(cfg);
  for (const char* secret : {"s3cret-pw", "qq-pw", "tok-en-123", "r3dis-pw"}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << secret << " in:\n" << out;
  }
  EXPECT_NE(out.find("postgres://app:***@db:5432/app"), std::string::npos) << out;
  EXPECT_NE(out.find("password_file = \"/run/secrets/pg\"\n"), std::string::npos) << out;
}

// Issue 12: trusted proxies (a list), the anonymous rate and [auth.rates]
// are printed and load back.
TEST(config_print, trusted_proxies_anonymous_rate_and_scope_rates) {
  auto cfg = parse(k_text + R"(
[auth]
anonymous_rate = 5
[auth.rates]
"read:*" = 2000
"publish:users" = 500
)",
                   "print.toml", env_of({{"SLUICE_HTTP_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8"}}));
  auto out = print(cfg);
  for (const char* line : {"trusted_proxies = [\"10.0.0.0/8\", \"fd00::/8\"]\n", "anonymous_rate = 5\n",
                           "anonymous_max_addresses = 65536\n",
                           "[auth.rates]\n\"publish:users\" = 500\n\"read:*\" = 2000\n"}) {
    EXPECT_NE(out.find(line), std::string::npos) << "missing: " << line << "\n" << out;
  }
  auto again = parse(out, "print.toml", env_of({}));
  EXPECT_EQ(print(again), out);
  EXPECT_EQ(again.auth.rates.at("read:*"), 2000u);
  EXPECT_EQ(again.http.trusted_proxies, "10.0.0.0/8, fd00::/8");
  EXPECT_NE(print(parse(k_text, "print.toml", env_of({}))).find("trusted_proxies = []\n"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::config
