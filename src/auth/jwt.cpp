#include "auth/jwt.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <optional>

#include "auth/base64url.hpp"
#include "core/error_category.hpp"

namespace sluice::auth {
namespace {

// Deep enough for any identity provider's claims (Keycloak nests roles 3
// deep), shallow enough that a hostile payload costs nothing.
constexpr std::size_t k_json_depth = 16;
constexpr std::size_t k_max_subject = 256;

const char* describe(jwt_errc e) {
  switch (e) {
    case jwt_errc::malformed: return "the token is not a well-formed JWS";
    case jwt_errc::too_large: return "the token is too large";
    case jwt_errc::alg_none: return "unsigned tokens (alg none) are refused";
    case jwt_errc::unsupported_alg: return "the token's algorithm is not supported";
    case jwt_errc::alg_mismatch: return "the token's algorithm is not its key's";
    case jwt_errc::unknown_kid: return "no configured key has the token's kid";
    case jwt_errc::bad_signature: return "the token's signature does not verify";
    case jwt_errc::expired: return "the token has expired";
    case jwt_errc::not_yet_valid: return "the token is not valid yet";
    case jwt_errc::wrong_issuer: return "the token's issuer is not accepted";
    case jwt_errc::wrong_audience: return "the token is not for this audience";
    case jwt_errc::bad_claim: return "the token's claims are not usable";
    case jwt_errc::bad_key: return "the JWT key file is not usable";
  }
  return "JWT refused";
}

// A JSON object from one base64url part. Boost.JSON keeps the last of a
// repeated member, which RFC 7519 §4 allows.
std::optional<boost::json::object> json_part(std::string_view part) {
  auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = k_json_depth;
  auto v = boost::json::parse(*bytes, ec, {}, opts);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// A NumericDate (RFC 7519 §2): any JSON number, seconds since the epoch.
std::optional<double> numeric_date(const boost::json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double())) return v.get_double();
  return std::nullopt;
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

std::optional<jwt_alg> parse_alg(std::string_view a) {
  if (a == "HS256") return jwt_alg::hs256;
  if (a == "RS256") return jwt_alg::rs256;
  if (a == "ES256") return jwt_alg::es256;
  return std::nullopt;
}

result<const jwt_key*> choose_key(const jwt_keys& keys, const boost::json::object& header) {
  const auto* kid = header.if_contains("kid");
  if (kid && !kid->is_string()) return jwt_errc::malformed;
  if (kid && keys.jwks) {
    const auto* k = keys.jwks->find(kid->get_string());
    if (!k) return jwt_errc::unknown_kid;
    return k;
  }
  if (keys.pem) return keys.pem->single();
  if (keys.jwks && keys.jwks->single()) return keys.jwks->single();
  return jwt_errc::unknown_kid;
}

// The scope claim: "a b c" or ["a","b","c"]; absent: no scopes.
result<std::vector<std::string>> scopes_of(const boost::json::object& claims,
                                           std::string_view name) {
  std::vector<std::string> out;
  const auto* v = claims.if_contains(name);
  if (!v) return out;
  if (v->is_string()) {
    std::string_view s = v->get_string();
    while (!s.empty()) {
      const auto sp = s.find(' ');
      if (sp != 0) out.emplace_back(s.substr(0, sp));
      if (sp == std::string_view::npos) break;
      s.remove_prefix(sp + 1);
    }
    return out;
  }
  if (!v->is_array()) return jwt_errc::bad_claim;
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) return jwt_errc::bad_claim;
    out.emplace_back(e.get_string());
  }
  return out;
}

bool audience_matches(const boost::json::value* aud, std::string_view want) {
  if (!aud) return false;
  if (aud->is_string()) return aud->get_string() == want;
  if (!aud->is_array()) return false;
  for (const auto& a : aud->get_array())
    if (a.is_string() && a.get_string() == want) return true;
  return false;
}

}  // namespace

const std::error_category& jwt_category() {
  static const enum_category<jwt_errc> c("sluice.auth.jwt", describe);
  return c;
}

result<jwt_identity> verify_jwt(std::string_view token, const jwt_keys& keys,
                                const jwt_settings& settings, std::int64_t now_s) {
  if (token.size() > settings.max_token_bytes) return jwt_errc::too_large;
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return jwt_errc::malformed;

  // The header and the signature first: nothing in the payload is read
  // before the signature has been verified.
  const auto header = json_part(token.substr(0, dot1));
  if (!header) return jwt_errc::malformed;
  const auto* alg_v = header->if_contains("alg");
  if (!alg_v || !alg_v->is_string()) return jwt_errc::malformed;
  const std::string_view alg_s = alg_v->get_string();
  if (alg_s == "none" || alg_s == "None" || alg_s == "NONE") return jwt_errc::alg_none;
  const auto alg = parse_alg(alg_s);
  if (!alg || header->contains("crit")) return jwt_errc::unsupported_alg;
  auto key = choose_key(keys, *header);
  if (!key) return key.why();
  if (!*key) return jwt_errc::unknown_kid;
  if ((*key)->alg() != *alg) return jwt_errc::alg_mismatch;
  const auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature) return jwt_errc::malformed;
  if (!(*key)->verify(token.substr(0, dot2), *signature)) return jwt_errc::bad_signature;

  const auto claims = json_part(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!claims) return jwt_errc::malformed;
  const double now = static_cast<double>(now_s);
  const double leeway = static_cast<double>(settings.leeway_s);
  // Without exp a stolen token would be good forever: refused.
  const auto* exp_v = claims->if_contains("exp");
  const auto exp = exp_v ? numeric_date(*exp_v) : std::nullopt;
  if (exp_v && !exp) return jwt_errc::bad_claim;
  if (!exp || now >= *exp + leeway) return jwt_errc::expired;
  if (const auto* nbf_v = claims->if_contains("nbf")) {
    const auto nbf = numeric_date(*nbf_v);
    if (!nbf) return jwt_errc::bad_claim;
    if (now + leeway < *nbf) return jwt_errc::not_yet_valid;
  }
  if (!settings.issuer.empty()) {
    const auto* iss = claims->if_contains("iss");
    if (!iss || !iss->is_string() || iss->get_string() != settings.issuer)
      return jwt_errc::wrong_issuer;
  }
  if (!settings.audience.empty() && !audience_matches(claims->if_contains("aud"), settings.audience))
    return jwt_errc::wrong_audience;
  const auto* sub = claims->if_contains("sub");
  if (!sub || !sub->is_string() || sub->get_string().empty() ||
      sub->get_string().size() > k_max_subject || !printable(sub->get_string()))
    return jwt_errc::bad_claim;
  auto scopes = scopes_of(*claims, settings.scope_claim);
  if (!scopes) return scopes.why();

  jwt_identity id;
  id.subject = std::string(sub->get_string());
  id.scopes = std::move(*scopes);
  id.expires_at_s = static_cast<std::int64_t>(std::floor(*exp));
  return id;
}

}  // namespace sluice::auth
