#pragma once
// The keys JWTs are verified with, from a PEM file (auth.jwt_pem_file) or a
// JWKS file (auth.jwks_file). Verification is OpenSSL 3's EVP interface
// directly; OpenSSL types stay in jwt_keys.cpp.
//
// The key decides the algorithm, never the token: an RSA key verifies RS256
// only, an EC P-256 key ES256 only, a secret HS256 only. So a token that says
// HS256 while the configured key is an RSA public key is refused before any
// MAC is computed (the classic algorithm-confusion forgery, where the public
// key's PEM text is used as the HMAC secret).
//
// Accepted keys: RSA of at least 2048 bits, EC on P-256, secrets of at least
// 32 bytes (RFC 7518 §3.2: no shorter than the hash). JWKS members that are
// not for signatures ("use" other than "sig"), of another type or curve, or
// that name another "alg" (RS384, PS256, …) are skipped, not fatal: identity
// providers publish such keys alongside theirs. A JWKS with a kid twice, or
// with no usable key at all, is refused.
//
// Thread safety: a jwt_key and a jwt_keyset are immutable once made; any
// number of threads may verify with them at once.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt_errc.hpp"
#include "core/result.hpp"

namespace sluice::auth {

enum class jwt_alg { hs256, rs256, es256 };
const char* alg_name(jwt_alg a);  // "HS256", …

class jwt_key {
 public:
  struct impl;  // defined in jwt_keys.cpp
  explicit jwt_key(std::unique_ptr<const impl> i);
  jwt_key(jwt_key&&) noexcept;
  jwt_key& operator=(jwt_key&&) noexcept;
  ~jwt_key();

  jwt_alg alg() const;             // the one algorithm this key verifies
  const std::string& kid() const;  // "" for a PEM file's key

  // Whether `signature` (the decoded third part of a JWS) signs
  // `signing_input` (the first two parts with their dot) under this key.
  // ES256 signatures are the 64 bytes r||s of RFC 7518 §3.4 (converted to
  // DER for OpenSSL here); HS256 MACs are compared in constant time.
  bool verify(std::string_view signing_input, std::string_view signature) const;

 private:
  std::unique_ptr<const impl> impl_;
};

class jwt_keyset {
 public:
  // A PEM public key ("BEGIN PUBLIC KEY", "BEGIN RSA PUBLIC KEY" or a
  // certificate's), else the file's bytes as an HS256 secret (one trailing
  // newline dropped, so `echo` and editors do not change the secret).
  static result<jwt_keyset> from_pem(std::string_view text);
  // RFC 7517 {"keys":[…]}: RSA (n, e), EC P-256 (x, y), oct (k).
  static result<jwt_keyset> from_jwks(std::string_view json);

  // The key with this kid, or nullptr.
  const jwt_key* find(std::string_view kid) const;
  // The only key, or nullptr when there are several.
  const jwt_key* single() const { return keys_.size() == 1 ? &keys_.front() : nullptr; }
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<jwt_key> keys_;
};

}  // namespace sluice::auth
