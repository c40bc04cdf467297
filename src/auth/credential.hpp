#pragma once
// What a request presents as its credential, read from its headers:
//   Authorization: Bearer <token>   (RFC 6750; the scheme is case-insensitive)
//   X-API-Key: <key>
// A bearer token with exactly two dots is JWT-shaped and goes to the JWT
// verifier; any other token, and every X-API-Key, is an API key.
// Pure function; the credential's text is never put in an error or a log.

#include <string_view>

#include "http/message.hpp"

namespace sluice::auth {

// Longer credentials are refused before any verifier sees them (a JWT with a
// few scopes is well under this; the header limit bounds the rest).
constexpr std::size_t k_max_credential = 4096;

enum class credential_form {
  none,       // no Authorization and no X-API-Key header
  api_key,    // an opaque token (Bearer without two dots, or X-API-Key)
  jwt,        // a Bearer token of three dot-separated parts
  malformed,  // present but unusable: see `problem`
  // No header credential, but the connection's TLS handshake verified a
  // client certificate (http::request::client_subject). Never returned by
  // read_credential(); the chain (authenticator.cpp) decides it.
  client_certificate,
};

struct credential {
  credential_form form = credential_form::none;
  std::string_view value;   // views the request's header; empty unless api_key/jwt
  std::string_view problem; // why it is malformed (static text, safe to log)
};

// REQUIRES: `req` outlives the result (it views its headers).
credential read_credential(const http::request& req);

}  // namespace sluice::auth
