// Fuzz target: the credential a request presents (issue 12) — the
// Authorization / X-API-Key headers through read_credential, then what the
// chain does with each form: an API key through parse_key and the HMAC check,
// a JWT through verify_jwt against every kind of configured key (an HS256
// secret, an RSA and an EC public key as PEM, a JWKS holding all three).
// Input: the first byte picks the mode, the rest is the text.
//   mode 0  Authorization: <text>
//   mode 1  X-API-Key: <text>
//   mode 2  <text> split at '\n' into header values, alternately
//           Authorization and X-API-Key (several credential headers)
//   mode 3  <header JSON>\n<payload JSON>: signed here with the HS256 secret
//           and verified, so the claim checks see arbitrary JSON behind a
//           valid signature
//   mode 4  <text> as a JWKS (jwt_keyset::from_jwks) and as a keys file
//           (parse_keys)
// Properties beyond "no crash, no UB": a credential's value is one of the
// headers' text, never longer than k_max_credential; a verified JWT has a
// subject of 1..256 characters; an API key the fuzzer made up never matches.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/api_keys.hpp"
#include "auth/base64url.hpp"
#include "auth/credential.hpp"
#include "auth/jwt.hpp"
#include "auth/jwt_keys.hpp"
#include "http/message.hpp"

namespace auth = sluice::auth;

namespace {

constexpr std::string_view k_secret = "fuzz-hs256-secret-0123456789abcdef";
constexpr std::int64_t k_now = 1'800'000'000;  // 2027-01-15: tokens in the corpus expire in 2100

constexpr std::string_view k_rsa_pem = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsrG6Zl+MJb9Goc+WZSIi
j1/bQO/zKlPUVHXas/SikHdbq253iYW5Gb7rztLPdfYkUhiYQpQBl2X7hENcTSWk
CmvXjNHBDtXzFysoQmAiZ3gLb4RkX8o8R/HxR2Lf+OkIJjPw60IVm79LZ90kovIx
KGuWDca7xTwOk9mugsNbvkLVYIxj8l2tgKSSrVW9jdoFQRSrGiST5vgPwDzAJI4U
HxfBngY4fCvZINuXeTNooiHpdYSYqrogKpwbO0APLbwVjJylWLnv7yZAim0gfeMy
ILKZw6ZgfO1vUxPm+KPujhLh4Tc3jhh3alIxhCu+vTz206NsEowhGfe89Eomq1gF
zQIDAQAB
-----END PUBLIC KEY-----
)";

constexpr std::string_view k_ec_pem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEHlrR/f0xbljXIjE+CvdvAy8rj5iq
ikWQlZ1xER86l2DjCE0Hpn9ekRfOpJCk7WIi2y/m1P6p/PkMseCw5Dserg==
-----END PUBLIC KEY-----
)";

constexpr std::string_view k_jwks =
    R"({"keys":[{"kty":"RSA","kid":"rsa1","use":"sig","alg":"RS256","n":"srG6Zl-MJb9Goc-WZSIij1_bQO_zKlPUVHXas_SikHdbq253iYW5Gb7rztLPdfYkUhiYQpQBl2X7hENcTSWkCmvXjNHBDtXzFysoQmAiZ3gLb4RkX8o8R_HxR2Lf-OkIJjPw60IVm79LZ90kovIxKGuWDca7xTwOk9mugsNbvkLVYIxj8l2tgKSSrVW9jdoFQRSrGiST5vgPwDzAJI4UHxfBngY4fCvZINuXeTNooiHpdYSYqrogKpwbO0APLbwVjJylWLnv7yZAim0gfeMyILKZw6ZgfO1vUxPm-KPujhLh4Tc3jhh3alIxhCu-vTz206NsEowhGfe89Eomq1gFzQ","e":"AQAB"},)"
    R"({"kty":"EC","kid":"ec1","crv":"P-256","x":"HlrR_f0xbljXIjE-CvdvAy8rj5iqikWQlZ1xER86l2A","y":"4whNB6Z_XpEXzqSQpO1iItsv5tT-qfz5DLHgsOQ7Hq4"},)"
    R"({"kty":"oct","kid":"hs1","k":"ZnV6ei1oczI1Ni1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg"}]})";

constexpr std::string_view k_pepper = "fuzz-pepper-0123456789";

std::shared_ptr<const auth::jwt_keyset> keyset(sluice::result<auth::jwt_keyset> r) {
  if (!r) std::abort();  // the fixed keys above must load
  return std::make_shared<const auth::jwt_keyset>(std::move(*r));
}

struct fixture {
  auth::jwt_keys hs, rsa, ec, jwks, both;
  auth::jwt_settings settings;
  auth::key_entry key;  // the HMAC of a key the fuzzer does not know
};

const fixture& fx() {
  static const fixture f = [] {
    fixture x;
    x.hs.pem = keyset(auth::jwt_keyset::from_pem(k_secret));
    x.rsa.pem = keyset(auth::jwt_keyset::from_pem(k_rsa_pem));
    x.ec.pem = keyset(auth::jwt_keyset::from_pem(k_ec_pem));
    x.jwks.jwks = keyset(auth::jwt_keyset::from_jwks(k_jwks));
    x.both.pem = x.rsa.pem;
    x.both.jwks = x.jwks.jwks;
    x.settings.issuer = "https://id.example";
    x.settings.audience = "sluice";
    x.settings.max_token_bytes = auth::k_max_credential;
    x.key.id = "0123456789abcdef";
    x.key.scopes = {"publish:users"};
    x.key.hmac = auth::key_hmac(k_pepper, "slk_0123456789abcdef_" + std::string(43, 'A') + "x");
    return x;
  }();
  return f;
}

void check_jwt(std::string_view token) {
  const auto& f = fx();
  for (const auto* keys : {&f.hs, &f.rsa, &f.ec, &f.jwks, &f.both}) {
    auto id = auth::verify_jwt(token, *keys, f.settings, k_now);
    if (id && (id->subject.empty() || id->subject.size() > 256)) std::abort();
  }
}

void check_api_key(std::string_view key) {
  auto parts = auth::parse_key(key);
  if (parts && (parts->id.size() != 16)) std::abort();
  if (auth::key_matches(fx().key, k_pepper, key)) std::abort();  // a made-up key never matches
}

bool views_a_header(const sluice::http::request& req, std::string_view v) {
  for (const auto& [name, value] : req.headers) {
    const char* b = value.data();
    if (v.data() >= b && v.data() + v.size() <= b + value.size()) return true;
  }
  return false;
}

void check_request(const sluice::http::request& req) {
  auto c = auth::read_credential(req);
  switch (c.form) {
    case auth::credential_form::malformed:
      if (c.problem.empty()) std::abort();
      break;
    case auth::credential_form::jwt:
    case auth::credential_form::api_key:
      if (c.value.empty() || c.value.size() > auth::k_max_credential) std::abort();
      if (!views_a_header(req, c.value)) std::abort();
      if (c.form == auth::credential_form::jwt) {
        check_jwt(c.value);
      } else {
        check_api_key(c.value);
      }
      break;
    default:  // none
      break;
  }
}

std::string hs256(std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), k_secret.data(), static_cast<int>(k_secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return {reinterpret_cast<const char*>(mac), len};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0] % 5;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  sluice::http::request req;
  switch (mode) {
    case 0:
      req.headers.emplace_back("authorization", std::string(text));
      check_request(req);
      break;
    case 1:
      req.headers.emplace_back("x-api-key", std::string(text));
      check_request(req);
      break;
    case 2: {
      bool auth_header = true;
      while (!text.empty()) {
        auto nl = text.find('\n');
        req.headers.emplace_back(auth_header ? "authorization" : "x-api-key",
                                 std::string(text.substr(0, nl)));
        auth_header = !auth_header;
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      }
      check_request(req);
      break;
    }
    case 3: {
      auto nl = text.find('\n');
      if (nl == std::string_view::npos) return 0;
      auto input = auth::base64url_encode(text.substr(0, nl)) + "." +
                   auth::base64url_encode(text.substr(nl + 1));
      auto token = input + "." + auth::base64url_encode(hs256(input));
      check_jwt(token);
      req.headers.emplace_back("authorization", "Bearer " + token);
      check_request(req);
      break;
    }
    default: {
      auto set = auth::jwt_keyset::from_jwks(text);
      if (set && set->size() == 0) std::abort();  // a usable JWKS has a key
      try {
        auto keys = auth::parse_keys(text, "fuzz");
        (void)keys;
      } catch (const auth::keys_error&) {
      }
      break;
    }
  }
  return 0;
}
