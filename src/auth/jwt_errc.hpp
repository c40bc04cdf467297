#pragma once
// Why a JWT was refused (jwt.hpp) or a JWT key file was not usable
// (jwt_keys.hpp): the "sluice.auth.jwt" error category. Every token refusal
// answers 401 with `WWW-Authenticate: Bearer error="invalid_token"`; the
// message names the class (never the token) so that a client can tell an
// expired token from a forged one.

#include <system_error>

namespace sluice::auth {

enum class jwt_errc {
  malformed = 1,    // not header.payload.signature of canonical base64url JSON objects
  too_large,        // over jwt_settings::max_token_bytes
  alg_none,         // "alg": "none" (an unsigned token)
  unsupported_alg,  // an alg other than HS256, RS256, ES256; or a "crit" header
  alg_mismatch,     // the alg is not the one the selected key is for (algorithm confusion)
  unknown_kid,      // no configured key has the token's kid (or none can be chosen)
  bad_signature,
  expired,          // exp (plus leeway) has passed, or there is no exp
  not_yet_valid,    // nbf (minus leeway) is still ahead
  wrong_issuer,
  wrong_audience,
  bad_claim,        // sub missing or unusable, a registered claim or the scope claim of the wrong type
  bad_key,          // a key file is unreadable or holds no usable key (configuration)
};

const std::error_category& jwt_category();
inline std::error_code make_error_code(jwt_errc e) { return {static_cast<int>(e), jwt_category()}; }

}  // namespace sluice::auth

template <>
struct std::is_error_code_enum<sluice::auth::jwt_errc> : std::true_type {};
