// Issue 12: API keys — their form, HMAC-SHA-256 with a pepper, the keys file
// (strict parsing, atomic 0600 writes), and the verifier's decisions with an
// injected clock: unknown, wrong secret, revoked, expired, reloaded.

#include "auth/api_keys.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "auth/key_verifier.hpp"

namespace sluice::auth {
namespace {

const std::string k_pepper = "unit-test-pepper-0123456789";

TEST(api_keys, generated_keys_have_the_form_and_differ) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto k = generate_key();
    ASSERT_EQ(k.key.substr(0, 4), "slk_");
    auto parts = parse_key(k.key);
    ASSERT_TRUE(parts) << k.key;
    EXPECT_EQ(parts->id, k.id);
    EXPECT_EQ(parts->secret.size(), 43u);  // 32 bytes, base64url unpadded
    EXPECT_TRUE(seen.insert(k.key).second);
  }
}

TEST(api_keys, parse_refuses_other_forms) {
  auto k = generate_key().key;
  for (const std::string& bad : std::vector<std::string>{std::string(""), std::string("slk_"), k.substr(0, k.size() - 1), k + "A",
        "SLK_" + k.substr(4), "slk_" + std::string(16, 'g') + k.substr(20),
        "slk_" + k.substr(4, 15) + k.substr(20), k.substr(0, 20) + "-" + k.substr(21),
        std::string("Bearer ") + k}) {
    EXPECT_FALSE(parse_key(bad)) << bad;
  }
}

TEST(api_keys, hmac_is_keyed_by_the_pepper) {
  // RFC 4231 test case 2: HMAC-SHA-256("Jefe", "what do ya want for nothing?").
  EXPECT_EQ(key_hmac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  auto k = generate_key().key;
  key_entry e{"", "", {}, key_hmac(k_pepper, k), 0, {}, {}, {}};
  EXPECT_TRUE(key_matches(e, k_pepper, k));
  EXPECT_FALSE(key_matches(e, k_pepper + "x", k));
  EXPECT_FALSE(key_matches(e, k_pepper, k + "x"));
}

TEST(api_keys, pepper_from_env_or_file_and_long_enough) {
  EXPECT_EQ(load_pepper(k_pepper, ""), k_pepper);
  EXPECT_THROW(load_pepper(std::string("short"), ""), keys_error);
  EXPECT_THROW(load_pepper(std::nullopt, ""), keys_error);
  EXPECT_THROW(load_pepper(std::nullopt, "/nonexistent/pepper"), keys_error);
  auto file = std::filesystem::temp_directory_path() / "sluice_pepper_test";
  std::ofstream(file) << k_pepper << "\nignored\n";
  EXPECT_EQ(load_pepper(std::nullopt, file.string()), k_pepper);
  EXPECT_EQ(load_pepper(std::string("from-the-environment-1"), file.string()),
            "from-the-environment-1");
  std::filesystem::remove(file);
}

TEST(api_keys, utc_times) {
  EXPECT_EQ(parse_utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_utc("2027-01-01T00:00:00Z"), 1798761600);
  EXPECT_EQ(format_utc(1798761600), "2027-01-01T00:00:00Z");
  for (const char* bad : {"", "2027-01-01", "2027-01-01T00:00:00", "2027-01-01T00:00:00+01:00",
                          "2027-02-30T00:00:00Z", "2027-13-01T00:00:00Z", "2027-01-01t00:00:00Z",
                          "1969-12-31T23:59:59Z", "2027-01-01T24:00:00Z"}) {
    EXPECT_FALSE(parse_utc(bad)) << bad;
  }
}

TEST(api_keys, keys_file_round_trips_and_refuses_bad_entries) {
  std::vector<key_entry> keys = {
      {"0123456789abcdef", "ci", {"publish:users", "read:*"}, std::string(64, 'a'), 100,
       1798761600, 2.5, std::nullopt},
      {"fedcba9876543210", "", {"*"}, std::string(64, 'b'), 100, std::nullopt, std::nullopt, 200},
  };
  auto back = parse_keys(serialize_keys(keys), "t");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].scopes, keys[0].scopes);
  EXPECT_EQ(back[0].expires_at, keys[0].expires_at);
  EXPECT_EQ(back[0].rate, keys[0].rate);
  EXPECT_EQ(back[1].revoked_at, 200);
  EXPECT_FALSE(back[1].rate);
  const std::string good_entry =
      R"({"id":"0123456789abcdef","scopes":["status"],"hmac":")" + std::string(64, 'a') + "\"";
  for (const std::string& bad : std::vector<std::string>{
           std::string("not json"),
           std::string("[]"),
           std::string(R"({"keys":[]})"),
           std::string(R"({"version":2,"keys":[]})"),
           R"({"version":1,"keys":[)" + good_entry + "}," + good_entry + "}]}",  // repeated id
           R"({"version":1,"keys":[{"id":"XYZ","scopes":[],"hmac":")" + std::string(64, 'a') + "\"}]}",
           R"({"version":1,"keys":[)" + good_entry + R"(,"scopes":["write:x"]}]})",
           R"({"version":1,"keys":[)" + good_entry + R"(,"expires_at":"soon"}]})",
           R"({"version":1,"keys":[)" + good_entry + R"(,"rate":-1}]})",
           std::string(R"({"version":1,"keys":[{"id":"0123456789abcdef","scopes":[],"hmac":"00"}]})"),
       }) {
    EXPECT_THROW(parse_keys(bad, "t"), keys_error) << bad;
  }
}

TEST(api_keys, written_atomically_with_mode_0600) {
  auto dir = std::filesystem::temp_directory_path() / "sluice_keys_write_test";
  std::filesystem::create_directories(dir);
  auto file = dir / "keys.json";
  write_keys_file(file, {{"0123456789abcdef", "", {"status"}, std::string(64, 'c'), 0, {}, {}, {}}});
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_keys_file(file, false).size(), 1u);
  EXPECT_TRUE(read_keys_file(dir / "absent.json", true).empty());
  EXPECT_THROW(read_keys_file(dir / "absent.json", false), keys_error);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u) << "no temp file left behind";
  std::filesystem::remove_all(dir);
}

// The verifier's decisions, with a clock the test moves.
class verifier_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice_key_verifier_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "keys.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string add(std::vector<key_entry>& keys, std::vector<std::string> scopes,
                  std::optional<std::int64_t> expires = {}) {
    auto k = generate_key();
    keys.push_back({k.id, "", std::move(scopes), key_hmac(k_pepper, k.key), 0, expires, 7.0, {}});
    return k.key;
  }
  outcome check(key_verifier& v, const std::string& key) {
    http::request req;
    credential c{credential_form::api_key, key, {}};
    return v.verify(c, req);
  }
  static std::string reason(const outcome& o) {
    return std::holds_alternative<refusal>(o) ? std::get<refusal>(o).reason : "";
  }

  std::filesystem::path dir_, file_;
  std::int64_t now_ = 1'000'000;
};

TEST_F(verifier_test, decisions) {
  std::vector<key_entry> keys;
  const auto ok = add(keys, {"publish:users"});
  const auto expiring = add(keys, {"status"}, now_ + 10);
  write_keys_file(file_, keys);
  key_verifier v({file_.string(), k_pepper, [this] { return now_; }});

  auto p = check(v, ok);
  ASSERT_TRUE(std::holds_alternative<principal>(p)) << reason(p);
  EXPECT_EQ(std::get<principal>(p).id, keys[0].id);
  EXPECT_EQ(std::get<principal>(p).kind, "key");
  EXPECT_EQ(std::get<principal>(p).scopes, keys[0].scopes);
  EXPECT_EQ(std::get<principal>(p).rate, 7.0);

  std::string wrong = ok;
  wrong[30] = wrong[30] == 'A' ? 'B' : 'A';  // inside the secret (the last char has spare bits)
  EXPECT_NE(reason(check(v, wrong)).find("wrong secret"), std::string::npos);
  EXPECT_NE(reason(check(v, generate_key().key)).find("unknown"), std::string::npos);
  EXPECT_NE(reason(check(v, "slk_nope")).find("not an API key"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<principal>(check(v, expiring)));
  now_ += 10;  // expires_at is the first second it is refused
  EXPECT_NE(reason(check(v, expiring)).find("expired"), std::string::npos);
  // No reason ever quotes the key.
  EXPECT_EQ(reason(check(v, wrong)).find(wrong.substr(21)), std::string::npos);
}

TEST_F(verifier_test, reloads_when_the_file_changes_at_most_once_a_second) {
  std::vector<key_entry> keys;
  const auto ok = add(keys, {"status"});
  write_keys_file(file_, keys);
  key_verifier v({file_.string(), k_pepper, [this] { return now_; }});
  ASSERT_TRUE(std::holds_alternative<principal>(check(v, ok)));
  keys[0].revoked_at = now_;
  write_keys_file(file_, keys);
  // Within the same second the old table answers; a second later the new one.
  EXPECT_TRUE(std::holds_alternative<principal>(check(v, ok)));
  now_ += 1;
  EXPECT_NE(reason(check(v, ok)).find("revoked"), std::string::npos);
  // A broken file keeps the previous table.
  const auto fresh = add(keys, {"status"});
  std::ofstream(file_, std::ios::trunc) << "{broken";
  v.reload();
  EXPECT_NE(reason(check(v, ok)).find("revoked"), std::string::npos);
  EXPECT_NE(reason(check(v, fresh)).find("unknown"), std::string::npos);
  // SIGHUP's reload() looks at once.
  write_keys_file(file_, keys);
  v.reload();
  EXPECT_TRUE(std::holds_alternative<principal>(check(v, fresh)));
}

TEST_F(verifier_test, a_missing_or_bad_file_at_start_is_an_error) {
  EXPECT_THROW(key_verifier({file_.string(), k_pepper, [] { return std::int64_t{0}; }}),
               keys_error);
  std::ofstream(file_) << "{}";
  EXPECT_THROW(key_verifier({file_.string(), k_pepper, [] { return std::int64_t{0}; }}),
               keys_error);
}

}  // namespace
}  // namespace sluice::auth
