#include "support/jwt_signer.hpp"

#include <boost/json/serialize.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <stdexcept>
#include <vector>

namespace sluice::testing {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("openssl: ") + what);
}

std::string bn_bytes(const EVP_PKEY* k, const char* param, int pad = 0) {
  BIGNUM* bn = nullptr;
  check(EVP_PKEY_get_bn_param(k, param, &bn) == 1, param);
  std::string out(static_cast<std::size_t>(pad ? pad : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

}  // namespace

struct test_key::impl {
  std::string alg;
  EVP_PKEY* pkey = nullptr;
  std::string secret;
  ~impl() { EVP_PKEY_free(pkey); }
};

test_key::test_key(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
test_key::test_key(test_key&&) noexcept = default;
test_key& test_key::operator=(test_key&&) noexcept = default;
test_key::~test_key() = default;

test_key test_key::rsa(int bits) {
  auto i = std::make_unique<impl>();
  i->alg = "RS256";
  i->pkey = EVP_RSA_gen(static_cast<unsigned>(bits));
  check(i->pkey, "RSA keygen");
  return test_key(std::move(i));
}

test_key test_key::ec_p256() {
  auto i = std::make_unique<impl>();
  i->alg = "ES256";
  i->pkey = EVP_EC_gen("P-256");
  check(i->pkey, "EC keygen");
  return test_key(std::move(i));
}

test_key test_key::secret(std::size_t bytes) {
  auto i = std::make_unique<impl>();
  i->alg = "HS256";
  // Printable, so that the secret can be a text file too.
  std::vector<unsigned char> raw(bytes);
  check(RAND_bytes(raw.data(), static_cast<int>(raw.size())) == 1, "RAND_bytes");
  for (auto c : raw) i->secret.push_back("abcdefghijklmnopqrstuvwxyz0123456789"[c % 36]);
  return test_key(std::move(i));
}

test_key test_key::hmac_with(std::string secret) {
  auto i = std::make_unique<impl>();
  i->alg = "HS256";
  i->secret = std::move(secret);
  return test_key(std::move(i));
}

std::string test_key::alg() const { return impl_->alg; }

std::string test_key::public_pem() const {
  if (!impl_->pkey) return impl_->secret;
  BIO* bio = BIO_new(BIO_s_mem());
  check(PEM_write_bio_PUBKEY(bio, impl_->pkey) == 1, "PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

boost::json::object test_key::jwk(const std::string& kid) const {
  boost::json::object o;
  if (impl_->alg == "RS256") {
    o["kty"] = "RSA";
    o["n"] = b64url(bn_bytes(impl_->pkey, OSSL_PKEY_PARAM_RSA_N));
    o["e"] = b64url(bn_bytes(impl_->pkey, OSSL_PKEY_PARAM_RSA_E));
  } else if (impl_->alg == "ES256") {
    o["kty"] = "EC";
    o["crv"] = "P-256";
    o["x"] = b64url(bn_bytes(impl_->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32));
    o["y"] = b64url(bn_bytes(impl_->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  } else {
    o["kty"] = "oct";
    o["k"] = b64url(impl_->secret);
  }
  if (!kid.empty()) o["kid"] = kid;
  return o;
}

std::string test_key::sign(const std::string& input) const {
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (impl_->alg == "HS256") {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    check(HMAC(EVP_sha256(), impl_->secret.data(), static_cast<int>(impl_->secret.size()), data,
               input.size(), mac, &len) != nullptr,
          "HMAC");
    return b64url(std::string(reinterpret_cast<char*>(mac), len));
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  check(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, impl_->pkey, nullptr) == 1,
        "DigestSignInit");
  check(EVP_DigestSign(ctx, nullptr, &len, data, input.size()) == 1, "DigestSign size");
  std::string sig(len, '\0');
  check(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                       input.size()) == 1,
        "DigestSign");
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (impl_->alg == "ES256") {  // DER → r||s (RFC 7518 §3.4)
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    check(es, "d2i_ECDSA_SIG");
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return b64url(sig);
}

std::string b64url(const std::string& bytes) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(abc[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(abc[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::string make_token(const test_key& key, const boost::json::object& header,
                       const boost::json::object& payload) {
  const std::string input =
      b64url(boost::json::serialize(header)) + "." + b64url(boost::json::serialize(payload));
  return input + "." + key.sign(input);
}

std::string make_token(const test_key& key, const boost::json::object& payload,
                       const std::string& kid) {
  boost::json::object header{{"alg", key.alg()}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return make_token(key, header, payload);
}

}  // namespace sluice::testing
