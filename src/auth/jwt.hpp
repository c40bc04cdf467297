#pragma once
// JWT bearer tokens (RFC 7519) signed as a JWS compact serialisation
// (RFC 7515) with HS256, RS256 or ES256: verified, then their claims checked,
// into the principal's subject and scopes.
//
// Verified with OpenSSL 3 directly (jwt_keys.cpp), not libjwt or jwt-cpp:
// OpenSSL is already linked for TLS, so this adds no library, and owning the
// few hundred lines means owning every algorithm decision — the configured
// key alone decides the algorithm, the token's header never does.
//
// Refused, each with its own jwt_errc: a token over max_token_bytes; not
// three canonical base64url parts; a header or payload that is not a JSON
// object (nesting past 16 levels included); "alg":"none"; another alg than
// HS256/RS256/ES256, or a "crit" header (no extension is understood); an alg
// other than the selected key's (algorithm confusion); a kid no key has; a
// signature that does not verify; no exp, or exp + leeway passed; nbf -
// leeway ahead; iss other than the configured issuer; aud (a string or an
// array) without the configured audience; no sub, or a sub that is not
// 1..256 printable characters; the scope claim neither a space-separated
// string nor an array of strings. Header members "jwk", "jku", "x5u", "x5c"
// are ignored: keys come only from configuration.
//
// Key choice: a token with a kid takes the JWKS key with that kid (unknown:
// refused); with only a PEM key configured, the kid is not consulted. A
// token without a kid takes the PEM key, else the JWKS's only key.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt_errc.hpp"
#include "auth/jwt_keys.hpp"
#include "core/result.hpp"

namespace sluice::auth {

struct jwt_settings {
  std::string issuer;                 // "" = iss not checked
  std::string audience;               // "" = aud not checked
  std::string scope_claim = "scope";  // "scope" (space-separated) or "scp" (array), either form
  std::int64_t leeway_s = 60;         // allowed clock skew for exp and nbf
  std::size_t max_token_bytes = 8192;
};

// What a valid token says about its bearer.
struct jwt_identity {
  std::string subject;              // sub
  std::vector<std::string> scopes;  // from the scope claim, in token order, duplicates kept
  std::int64_t expires_at_s = 0;    // exp, seconds since the Unix epoch
};

// The keys a token may be verified with: a PEM file's, a JWKS file's, or both.
struct jwt_keys {
  std::shared_ptr<const jwt_keyset> pem;
  std::shared_ptr<const jwt_keyset> jwks;
};

// Verifies `token` (the text after "Bearer ") at `now_s` (seconds since the
// Unix epoch). Pure: no clock, no file, no log.
result<jwt_identity> verify_jwt(std::string_view token, const jwt_keys& keys,
                                const jwt_settings& settings, std::int64_t now_s);

}  // namespace sluice::auth
