#pragma once
// The JWT link of the authenticator chain (authenticator.hpp): takes bearer
// tokens of credential_form::jwt and makes them principals — id = the
// token's `sub`, kind "jwt", the scopes of the scope claim that are Sluice
// scopes (an identity provider's others, "openid profile", are dropped), and
// auth.default_rate as the rate limit. A refused token is a refusal whose
// reason names the class ("the token has expired"), never the token.
//
// Thread safety: as jwt_verifier's (any thread).

#include <memory>

#include "auth/authenticator.hpp"
#include "auth/jwt_verifier.hpp"

namespace sluice::auth {

std::unique_ptr<verifier> make_jwt_verifier(std::shared_ptr<jwt_verifier> jwt);

}  // namespace sluice::auth
