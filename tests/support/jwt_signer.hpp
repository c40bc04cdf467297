#pragma once
// Test-only JWT minting: keys generated in the test process with OpenSSL
// (RSA 2048, EC P-256, random HS256 secrets), their PEM and JWK forms, and
// compact JWS tokens signed with them. Nothing here is used by Sluice itself.

#include <boost/json/object.hpp>

#include <memory>
#include <string>

namespace sluice::testing {

class test_key {
 public:
  static test_key rsa(int bits = 2048);
  static test_key ec_p256();
  static test_key secret(std::size_t bytes = 32);
  // An HS256 key with this exact secret (e.g. someone's public PEM text).
  static test_key hmac_with(std::string secret);

  std::string alg() const;             // "RS256", "ES256", "HS256"
  std::string public_pem() const;      // SubjectPublicKeyInfo; the secret itself for HS256
  boost::json::object jwk(const std::string& kid) const;  // public JWK (oct: with k)
  // The base64url signature of `signing_input` under this key.
  std::string sign(const std::string& signing_input) const;

  test_key(test_key&&) noexcept;
  test_key& operator=(test_key&&) noexcept;
  ~test_key();

 private:
  struct impl;
  explicit test_key(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

std::string b64url(const std::string& bytes);

// header.payload.signature, with `header` and `payload` serialised as given.
std::string make_token(const test_key& key, const boost::json::object& header,
                       const boost::json::object& payload);
// The usual header {"alg": key.alg(), "typ": "JWT"} plus a kid when given.
std::string make_token(const test_key& key, const boost::json::object& payload,
                       const std::string& kid = "");

}  // namespace sluice::testing
