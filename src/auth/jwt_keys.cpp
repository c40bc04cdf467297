#include "auth/jwt_keys.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <set>

#include "auth/base64url.hpp"

namespace sluice::auth {
namespace {

template <class T, void (*F)(T*)>
struct deleter {
  void operator()(T* p) const { F(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO, BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, deleter<BIGNUM, BN_free>>;
using bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using param_ptr = std::unique_ptr<OSSL_PARAM, deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509, X509_free>>;
using decoder_ptr =
    std::unique_ptr<OSSL_DECODER_CTX, deleter<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>>;

constexpr std::size_t k_min_secret = 32;
constexpr int k_min_rsa_bits = 2048;
constexpr std::size_t k_p256_coordinate = 32;

// OpenSSL's error queue is per thread and shared with the TLS code on the
// same I/O thread: a refusal here must not leave entries that a later
// SSL_get_error would read as its own.
struct clear_errors_on_exit {
  ~clear_errors_on_exit() { ERR_clear_error(); }
};

std::string bad_key(std::string_view why) { return "JWT key: " + std::string(why); }

}  // namespace

struct jwt_key::impl {
  jwt_alg alg;
  std::string kid;
  pkey_ptr pkey;       // RS256, ES256
  std::string secret;  // HS256

  ~impl() { OPENSSL_cleanse(secret.data(), secret.size()); }
};

namespace {

// The one algorithm a public key is for, or a reason it is refused.
result<jwt_alg> alg_for(EVP_PKEY* k) {
  if (EVP_PKEY_is_a(k, "RSA")) {
    if (EVP_PKEY_get_bits(k) < k_min_rsa_bits)
      return {jwt_errc::bad_key, bad_key("an RSA key of fewer than 2048 bits")};
    return jwt_alg::rs256;
  }
  if (EVP_PKEY_is_a(k, "EC")) {
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(k, group, sizeof group, &len) != 1 ||
        (std::string_view(group, len) != "prime256v1" && std::string_view(group, len) != "P-256"))
      return {jwt_errc::bad_key, bad_key("an EC key not on P-256 (ES256 only)")};
    return jwt_alg::es256;
  }
  return {jwt_errc::bad_key, bad_key("neither RSA nor EC P-256")};
}

result<jwt_key> key_from_pkey(pkey_ptr k, std::string kid) {
  auto alg = alg_for(k.get());
  if (!alg) return alg.why();
  auto i = std::make_unique<jwt_key::impl>();
  i->alg = *alg;
  i->kid = std::move(kid);
  i->pkey = std::move(k);
  return jwt_key(std::move(i));
}

result<jwt_key> key_from_secret(std::string secret, std::string kid) {
  if (secret.size() < k_min_secret) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return {jwt_errc::bad_key, bad_key("an HS256 secret of fewer than 32 bytes")};
  }
  auto i = std::make_unique<jwt_key::impl>();
  i->alg = jwt_alg::hs256;
  i->kid = std::move(kid);
  i->secret = std::move(secret);
  return jwt_key(std::move(i));
}

pkey_ptr pkey_from_pem(std::string_view text) {
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    bio_ptr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio) return nullptr;
    x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    return pkey_ptr(cert ? X509_get_pubkey(cert.get()) : nullptr);
  }
  // SubjectPublicKeyInfo ("PUBLIC KEY") and PKCS#1 ("RSA PUBLIC KEY").
  EVP_PKEY* raw = nullptr;
  decoder_ptr dctx(OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr,
                                                 EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  if (!dctx) return nullptr;
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t len = text.size();
  if (OSSL_DECODER_from_data(dctx.get(), &data, &len) != 1) return nullptr;
  return pkey_ptr(raw);
}

pkey_ptr pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  param_ptr params(OSSL_PARAM_BLD_to_param(bld));
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  pkey_ptr k(raw);
  pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return k;
}

bn_ptr bn_from(std::string_view bytes) {
  return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr));
}

std::optional<std::string> member(const boost::json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::string> b64_member(const boost::json::object& o, std::string_view name) {
  auto s = member(o, name);
  return s ? base64url_decode(*s) : std::nullopt;
}

// One JWK. nullopt: a key to skip (not ours to use); a failure: a key that
// claims to be usable but is broken, which refuses the whole file.
result<std::optional<jwt_key>> key_from_jwk(const boost::json::object& jwk) {
  using none = std::optional<jwt_key>;
  const auto kty = member(jwk, "kty");
  const auto use = member(jwk, "use");
  const auto alg = member(jwk, "alg");
  const auto kid = member(jwk, "kid").value_or("");
  if (!kty || (use && *use != "sig")) return none{};
  if (*kty == "RSA") {
    if (alg && *alg != "RS256") return none{};
    auto n = b64_member(jwk, "n"), e = b64_member(jwk, "e");
    if (!n || !e || n->empty() || e->empty())
      return {jwt_errc::bad_key, bad_key("an RSA JWK without base64url n and e")};
    bn_ptr bn_n = bn_from(*n), bn_e = bn_from(*e);
    bld_ptr bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
      return {jwt_errc::bad_key, bad_key("out of memory")};
    auto k = pkey_from_params("RSA", bld.get());
    if (!k) return {jwt_errc::bad_key, bad_key("an RSA JWK OpenSSL refuses (kid " + kid + ")")};
    auto key = key_from_pkey(std::move(k), kid);
    if (!key) return key.why();
    return std::optional<jwt_key>(std::move(*key));
  }
  if (*kty == "EC") {
    if ((alg && *alg != "ES256") || member(jwk, "crv").value_or("") != "P-256") return none{};
    auto x = b64_member(jwk, "x"), y = b64_member(jwk, "y");
    if (!x || !y || x->size() != k_p256_coordinate || y->size() != k_p256_coordinate)
      return {jwt_errc::bad_key, bad_key("a P-256 JWK without 32-byte x and y")};
    std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed point
    bld_ptr bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1)
      return {jwt_errc::bad_key, bad_key("out of memory")};
    auto k = pkey_from_params("EC", bld.get());
    if (!k) return {jwt_errc::bad_key, bad_key("a P-256 JWK not on the curve (kid " + kid + ")")};
    auto key = key_from_pkey(std::move(k), kid);
    if (!key) return key.why();
    return std::optional<jwt_key>(std::move(*key));
  }
  if (*kty == "oct") {
    if (alg && *alg != "HS256") return none{};
    auto k = b64_member(jwk, "k");
    if (!k) return {jwt_errc::bad_key, bad_key("an oct JWK without base64url k")};
    auto key = key_from_secret(std::move(*k), kid);
    if (!key) return key.why();
    return std::optional<jwt_key>(std::move(*key));
  }
  return none{};  // OKP (Ed25519) and others: not supported here
}

}  // namespace

const char* alg_name(jwt_alg a) {
  switch (a) {
    case jwt_alg::hs256: return "HS256";
    case jwt_alg::rs256: return "RS256";
    case jwt_alg::es256: return "ES256";
  }
  return "?";
}

jwt_key::jwt_key(std::unique_ptr<const impl> i) : impl_(std::move(i)) {}
jwt_key::jwt_key(jwt_key&&) noexcept = default;
jwt_key& jwt_key::operator=(jwt_key&&) noexcept = default;
jwt_key::~jwt_key() = default;
jwt_alg jwt_key::alg() const { return impl_->alg; }
const std::string& jwt_key::kid() const { return impl_->kid; }

bool jwt_key::verify(std::string_view signing_input, std::string_view signature) const {
  clear_errors_on_exit clear;
  const auto* data = reinterpret_cast<const unsigned char*>(signing_input.data());
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  if (impl_->alg == jwt_alg::hs256) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), impl_->secret.data(), static_cast<int>(impl_->secret.size()), data,
              signing_input.size(), mac, &mac_len))
      return false;
    return signature.size() == mac_len && CRYPTO_memcmp(mac, sig, mac_len) == 0;
  }
  std::string der;  // ES256: r||s as the DER ECDSA-Sig-Value OpenSSL verifies
  if (impl_->alg == jwt_alg::es256) {
    if (signature.size() != 2 * k_p256_coordinate) return false;
    ecdsa_sig_ptr es(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(sig, k_p256_coordinate, nullptr);
    BIGNUM* s = BN_bin2bn(sig + k_p256_coordinate, k_p256_coordinate, nullptr);
    if (!es || !r || !s || ECDSA_SIG_set0(es.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return false;
    }
    const int len = i2d_ECDSA_SIG(es.get(), nullptr);
    if (len <= 0) return false;
    der.resize(static_cast<std::size_t>(len));
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_ECDSA_SIG(es.get(), &out) != len) return false;
    sig = reinterpret_cast<const unsigned char*>(der.data());
    signature = der;
  } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(impl_->pkey.get()))) {
    return false;  // RS256: exactly the modulus' length (RFC 8017 §8.2.2)
  }
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  return ctx &&
         EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr,
                                 impl_->pkey.get(), nullptr) == 1 &&
         EVP_DigestVerify(ctx.get(), sig, signature.size(), data, signing_input.size()) == 1;
}

result<jwt_keyset> jwt_keyset::from_pem(std::string_view text) {
  clear_errors_on_exit clear;
  jwt_keyset set;
  if (text.find("-----BEGIN") != std::string_view::npos) {
    // A PEM that does not decode is refused, never taken as a secret: that
    // would turn a broken public key file into an HMAC key anyone can read.
    auto k = pkey_from_pem(text);
    if (!k) return {jwt_errc::bad_key, bad_key("the PEM file holds no public key OpenSSL reads")};
    auto key = key_from_pkey(std::move(k), "");
    if (!key) return key.why();
    set.keys_.push_back(std::move(*key));
    return set;
  }
  if (text.ends_with("\r\n"))
    text.remove_suffix(2);
  else if (text.ends_with('\n'))
    text.remove_suffix(1);
  auto key = key_from_secret(std::string(text), "");
  if (!key) return key.why();
  set.keys_.push_back(std::move(*key));
  return set;
}

result<jwt_keyset> jwt_keyset::from_jwks(std::string_view json) {
  clear_errors_on_exit clear;
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 8;
  const auto doc = boost::json::parse(json, ec, {}, opts);
  if (ec || !doc.is_object() || !doc.get_object().contains("keys") ||
      !doc.get_object().at("keys").is_array())
    return {jwt_errc::bad_key, bad_key("the JWKS file is not {\"keys\":[…]}")};
  jwt_keyset set;
  std::set<std::string> kids;
  for (const auto& v : doc.get_object().at("keys").get_array()) {
    if (!v.is_object()) return {jwt_errc::bad_key, bad_key("a JWKS member is not an object")};
    auto key = key_from_jwk(v.get_object());
    if (!key) return key.why();
    if (!*key) continue;
    if (!kids.insert((*key)->kid()).second)
      return {jwt_errc::bad_key, bad_key("the JWKS has the kid \"" + (*key)->kid() + "\" twice")};
    set.keys_.push_back(std::move(**key));
  }
  if (set.keys_.empty())
    return {jwt_errc::bad_key, bad_key("the JWKS has no RS256, ES256 or HS256 signing key")};
  return set;
}

const jwt_key* jwt_keyset::find(std::string_view kid) const {
  for (const auto& k : keys_)
    if (k.kid() == kid) return &k;
  return nullptr;
}

}  // namespace sluice::auth
