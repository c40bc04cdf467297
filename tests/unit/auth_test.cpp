// Issue 12: principals and scopes (which granted scope covers which needed
// one), reading the credential from the headers, and the authenticator chain.
// Pure logic, table-driven.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "auth/cert_verifier.hpp"
#include "auth/credential.hpp"
#include "auth/principal.hpp"

namespace sluice::auth {
namespace {

TEST(scopes, which_granted_scope_covers_which_needed_one) {
  const struct {
    const char* granted;
    const char* needed;
    bool covers;
  } cases[] = {
      {"*", "publish:users", true},
      {"*", "admin", true},
      {"*", "metrics", true},
      {"publish:users", "publish:users", true},
      {"publish:users", "publish:orders", false},
      {"publish:users", "read:users", false},
      {"read:users", "publish:users", false},
      {"read:*", "read:users", true},
      {"read:*", "read:orders", true},
      {"read:*", "publish:users", false},
      {"read:*", "status", false},
      {"publish:*", "publish:orders", true},
      {"publish:*", "read:orders", false},
      {"status", "status", true},
      {"status", "metrics", false},
      {"metrics", "metrics", true},
      {"admin", "status", false},  // admin implies nothing else
      {"admin", "metrics", false},
      {"admin", "read:users", false},
      {"read:user", "read:users", false},  // no prefix matching
      {"read:users", "read:user", false},
      {"read:", "read:users", false},
      {"", "status", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(covers(c.granted, c.needed), c.covers) << c.granted << " / " << c.needed;
  }
}

TEST(scopes, valid_forms) {
  for (const char* ok : {"*", "status", "admin", "metrics", "read:*", "publish:*", "read:users",
                         "publish:a_1"}) {
    EXPECT_TRUE(valid_scope(ok)) << ok;
  }
  for (const char* bad : {"", "read", "read:", "write:users", "read:Users", "read:1x", "publish: x",
                          "**", "read:**", "admin:*", "status:x", "read:users,publish:users"}) {
    EXPECT_FALSE(valid_scope(bad)) << bad;
  }
}

TEST(scopes, principal_allows_any_of_its_scopes) {
  principal p{"k1", "key", {"publish:users", "read:*"}, std::nullopt};
  EXPECT_TRUE(allows(p, "publish:users"));
  EXPECT_TRUE(allows(p, "read:orders"));
  EXPECT_FALSE(allows(p, "publish:orders"));
  EXPECT_FALSE(allows(p, "status"));
  EXPECT_TRUE(allows(p, ""));  // a route that needs nothing
  principal none{"k2", "key", {}, std::nullopt};
  EXPECT_FALSE(allows(none, "status"));
  EXPECT_TRUE(allows(anonymous(), "admin"));
  EXPECT_EQ(anonymous().id, "");
  EXPECT_EQ(anonymous().kind, "anonymous");
}

TEST(scopes, split_takes_commas_and_spaces) {
  EXPECT_EQ(split_scopes("publish:users,read:users"),
            (std::vector<std::string>{"publish:users", "read:users"}));
  EXPECT_EQ(split_scopes(" status  metrics,,admin "),
            (std::vector<std::string>{"status", "metrics", "admin"}));
  EXPECT_TRUE(split_scopes("").empty());
  EXPECT_TRUE(split_scopes(" , ").empty());
  EXPECT_EQ(publish_scope("users"), "publish:users");
  EXPECT_EQ(read_scope("users"), "read:users");
}

http::request with(http::header_list headers) {
  http::request r;
  r.method = "GET";
  r.target = "/v1/users";
  r.headers = std::move(headers);
  return r;
}

TEST(credentials, read_from_the_headers) {
  const std::string long_token(k_max_credential + 1, 'a');
  const struct {
    http::header_list headers;
    credential_form form;
    const char* value;
  } cases[] = {
      {{}, credential_form::none, ""},
      {{{"accept", "*/*"}}, credential_form::none, ""},
      {{{"authorization", "Bearer slk_abc_def"}}, credential_form::api_key, "slk_abc_def"},
      {{{"authorization", "bearer slk_abc_def"}}, credential_form::api_key, "slk_abc_def"},
      {{{"authorization", "BEARER   slk_abc_def  "}}, credential_form::api_key, "slk_abc_def"},
      {{{"authorization", "Bearer aaa.bbb.ccc"}}, credential_form::jwt, "aaa.bbb.ccc"},
      {{{"authorization", "Bearer aaa.bbb"}}, credential_form::api_key, "aaa.bbb"},
      {{{"authorization", "Bearer a.b.c.d"}}, credential_form::api_key, "a.b.c.d"},
      {{{"x-api-key", "slk_abc_def"}}, credential_form::api_key, "slk_abc_def"},
      {{{"x-api-key", "aaa.bbb.ccc"}}, credential_form::api_key, "aaa.bbb.ccc"},
      {{{"authorization", "Basic dXNlcjpwYXNz"}}, credential_form::malformed, ""},
      {{{"authorization", "Bearer"}}, credential_form::malformed, ""},
      {{{"authorization", "Bearer "}}, credential_form::malformed, ""},
      {{{"authorization", "Bearerslk_abc"}}, credential_form::malformed, ""},
      {{{"authorization", "Bearer a b"}}, credential_form::malformed, ""},
      {{{"authorization", "Bearer a\"b"}}, credential_form::malformed, ""},
      {{{"authorization", "Bearer ab=c"}}, credential_form::malformed, ""},
      {{{"authorization", "Bearer " + long_token}}, credential_form::malformed, ""},
      {{{"x-api-key", ""}}, credential_form::malformed, ""},
      {{{"authorization", "Bearer a"}, {"x-api-key", "b"}}, credential_form::malformed, ""},
      {{{"authorization", "Bearer a"}, {"authorization", "Bearer b"}}, credential_form::malformed,
       ""},
  };
  for (const auto& c : cases) {
    auto req = with(c.headers);
    auto got = read_credential(req);
    std::string first = c.headers.empty() ? "(none)" : c.headers.front().second.substr(0, 40);
    EXPECT_EQ(got.form, c.form) << first;
    EXPECT_EQ(got.value, c.value) << first;
    if (c.form == credential_form::malformed) {
      EXPECT_FALSE(got.problem.empty()) << first;
      // The reason is static text: it never quotes the credential.
      EXPECT_EQ(std::string(got.problem).find("slk_"), std::string::npos);
    }
  }
}

// A verifier that admits one token, for the chain's decisions.
class one_token final : public verifier {
 public:
  one_token(credential_form form, std::string token) : form_(form), token_(std::move(token)) {}
  bool takes(credential_form f) const override { return f == form_; }
  outcome verify(const credential& c, const http::request&) override {
    if (c.value == token_) return principal{"p-" + token_, "key", {"status"}, std::nullopt};
    return refusal{"unknown", true};
  }

 private:
  credential_form form_;
  std::string token_;
};

TEST(chain, the_verifier_of_the_credentials_form_decides) {
  std::vector<std::unique_ptr<verifier>> v;
  v.push_back(std::make_unique<one_token>(credential_form::api_key, "good"));
  auto chain = make_chain(std::move(v));

  auto ok = chain->authenticate(with({{"x-api-key", "good"}}));
  ASSERT_TRUE(std::holds_alternative<principal>(ok));
  EXPECT_EQ(std::get<principal>(ok).id, "p-good");
  ok = chain->authenticate(with({{"authorization", "Bearer good"}}));
  ASSERT_TRUE(std::holds_alternative<principal>(ok));

  auto none = chain->authenticate(with({}));
  ASSERT_TRUE(std::holds_alternative<refusal>(none));
  EXPECT_FALSE(std::get<refusal>(none).presented);

  for (const auto& h : {http::header_list{{"x-api-key", "bad"}},
                        http::header_list{{"authorization", "Basic Zm9v"}},
                        http::header_list{{"authorization", "Bearer a.b.c"}}}) {  // no JWT verifier
    auto r = chain->authenticate(with(h));
    ASSERT_TRUE(std::holds_alternative<refusal>(r)) << h.front().second;
    EXPECT_TRUE(std::get<refusal>(r).presented);
    EXPECT_EQ(std::get<refusal>(r).reason.find(h.front().second), std::string::npos);
  }
}

TEST(chain, with_no_verifier_refuses_everything) {
  auto chain = make_chain({});
  EXPECT_TRUE(std::holds_alternative<refusal>(chain->authenticate(with({{"x-api-key", "k"}}))));
  EXPECT_TRUE(std::holds_alternative<refusal>(chain->authenticate(with({}))));
}

TEST(chain, open_mode_is_anonymous_whatever_is_sent) {
  auto open = make_open_authenticator();
  for (const auto& h : {http::header_list{}, http::header_list{{"authorization", "Basic x"}}}) {
    auto r = open->authenticate(with(h));
    ASSERT_TRUE(std::holds_alternative<principal>(r));
    EXPECT_EQ(std::get<principal>(r).kind, "anonymous");
  }
}

// Issue 12: client certificates as principals ([[auth.client_certs]]).
http::request with_cert(std::string subject, std::vector<std::string> sans,
                        http::header_list headers = {}) {
  auto r = with(std::move(headers));
  r.client_subject = std::move(subject);
  r.client_sans = std::move(sans);
  return r;
}

std::vector<cert_mapping> mappings() {
  return {{"CN=ingest-1,O=Acme", "", "ingest-1", {"publish:users"}, 40.0},
          {"", "URI:spiffe://acme/reader", "reader", {"read:*"}, std::nullopt},
          {"", "DNS:ingest-1.acme.test", "by-dns", {"status"}, std::nullopt}};
}

TEST(client_certs, subject_then_san_maps_to_the_principal) {
  const auto m = mappings();
  auto p = map_certificate(m, with_cert("CN=ingest-1,O=Acme", {}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, "ingest-1");
  EXPECT_EQ(p->kind, "cert");
  EXPECT_EQ(p->scopes, (std::vector<std::string>{"publish:users"}));
  EXPECT_EQ(p->rate, std::optional<double>(40.0));
  // The subject mapping wins over a SAN mapping of the same certificate.
  p = map_certificate(m, with_cert("CN=ingest-1,O=Acme", {"DNS:ingest-1.acme.test"}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, "ingest-1");
  p = map_certificate(m, with_cert("CN=r,O=Acme", {"DNS:other.test", "URI:spiffe://acme/reader"}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->id, "reader");
  EXPECT_FALSE(p->rate);
  // Exact text only: no prefix, case or order games.
  for (const auto& subject : {"CN=ingest-1", "cn=ingest-1,o=acme", "O=Acme,CN=ingest-1",
                              "CN=ingest-1,O=Acme,C=DE"}) {
    EXPECT_FALSE(map_certificate(m, with_cert(subject, {}))) << subject;
  }
  EXPECT_FALSE(map_certificate(m, with_cert("CN=x", {"URI:spiffe://acme/reader/2", "spiffe://acme/reader"})));
  EXPECT_FALSE(map_certificate(m, with_cert("", {"URI:spiffe://acme/reader"})));  // not verified
}

TEST(client_certs, the_chain_maps_a_certificate_unless_a_header_credential_is_sent) {
  std::vector<std::unique_ptr<verifier>> v;
  v.push_back(std::make_unique<one_token>(credential_form::api_key, "good"));
  v.push_back(make_cert_verifier(mappings()));
  auto chain = make_chain(std::move(v));
  auto ok = chain->authenticate(with_cert("CN=ingest-1,O=Acme", {}));
  ASSERT_TRUE(std::holds_alternative<principal>(ok));
  EXPECT_EQ(std::get<principal>(ok).id, "ingest-1");
  // Verified, but no mapping: 403 (forbidden), the subject in the log reason.
  auto unmapped = chain->authenticate(with_cert("CN=stranger,O=Acme", {"DNS:x.test"}));
  ASSERT_TRUE(std::holds_alternative<refusal>(unmapped));
  EXPECT_TRUE(std::get<refusal>(unmapped).forbidden);
  EXPECT_NE(std::get<refusal>(unmapped).reason.find("CN=stranger,O=Acme"), std::string::npos);
  // A header credential decides instead of the certificate, either way.
  auto key = chain->authenticate(with_cert("CN=stranger,O=Acme", {}, {{"x-api-key", "good"}}));
  ASSERT_TRUE(std::holds_alternative<principal>(key));
  EXPECT_EQ(std::get<principal>(key).id, "p-good");
  auto bad = chain->authenticate(with_cert("CN=ingest-1,O=Acme", {}, {{"x-api-key", "bad"}}));
  ASSERT_TRUE(std::holds_alternative<refusal>(bad));
  EXPECT_FALSE(std::get<refusal>(bad).forbidden);
  // No certificate, no header: 401 as before.
  auto none = chain->authenticate(with({}));
  ASSERT_TRUE(std::holds_alternative<refusal>(none));
  EXPECT_FALSE(std::get<refusal>(none).forbidden);
  EXPECT_FALSE(std::get<refusal>(none).presented);
}

TEST(client_certs, without_mappings_a_certificate_is_no_credential) {
  std::vector<std::unique_ptr<verifier>> v;
  v.push_back(std::make_unique<one_token>(credential_form::api_key, "good"));
  auto chain = make_chain(std::move(v));
  auto r = chain->authenticate(with_cert("CN=ingest-1,O=Acme", {}));
  ASSERT_TRUE(std::holds_alternative<refusal>(r));
  EXPECT_FALSE(std::get<refusal>(r).forbidden);
  EXPECT_FALSE(std::get<refusal>(r).presented);
}

}  // namespace
}  // namespace sluice::auth
