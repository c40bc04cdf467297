#include "http/tls_context.hpp"

#include <boost/asio/ssl/context.hpp>
#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509err.h>

#include <array>

namespace sluice::http {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" list without the finite-field DHE suites: forward
// secrecy and AEAD only. TLS 1.3 suites are OpenSSL's defaults (all AEAD).
constexpr const char* k_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Resumed sessions are only accepted by a context with this id (OpenSSL
// refuses them otherwise once client certificates are verified).
constexpr std::array<unsigned char, 6> k_session_context{'s', 'l', 'u', 'i', 'c', 'e'};

// ALPN: the only protocol spoken is HTTP/1.1. A client that offers ALPN
// without it gets the fatal alert RFC 7301 §3.2 asks for; one that offers
// none proceeds (HTTP/1.1 is the default).
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void*) {
  static constexpr unsigned char k_ours[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* chosen = nullptr;
  int rc = SSL_select_next_proto(&chosen, out_len, k_ours, sizeof(k_ours), in, in_len);
  if (rc != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::string failure(const char* key, const std::string& path, const std::string& why) {
  return std::string(key) + ": " + path + ": " + why;
}

// OpenSSL's reason for the last failure (its queue is per thread), emptied.
std::string openssl_reason() {
  const char* reason = ERR_reason_error_string(ERR_get_error());
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown error";
}

// Asio's message for an OpenSSL failure already carries the reason.
std::string reason_of(const boost::system::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  // RFC 2253 order and escaping, UTF-8 kept as it is.
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n > 0 ? n : 0));
  BIO_free(bio);
  return out;
}

std::string serial_text(const X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return {};
  char* hex = BN_bn2hex(bn);
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::string time_text(const ASN1_TIME* t) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  ASN1_TIME_print(bio, t);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n > 0 ? n : 0));
  BIO_free(bio);
  return out;
}

}  // namespace

tls_loaded load_tls_context(const tls_files& files) {
  tls_loaded out;
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  // TLS 1.0 and 1.1 are refused by the server itself, whatever the client allows.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_cipher_list(native, k_tls12_ciphers) != 1) {
    out.error = "http: cannot set the TLS 1.2 cipher list: " + openssl_reason();
    return out;
  }
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
  SSL_CTX_set_session_id_context(native, k_session_context.data(), k_session_context.size());

  boost::system::error_code ec;
  ctx->use_certificate_chain_file(files.cert_file, ec);
  if (ec) {
    out.error = failure("http.tls_cert_file", files.cert_file, reason_of(ec));
    return out;
  }
  // Loading the key also checks that it is the certificate's.
  ctx->use_private_key_file(files.key_file, ssl::context::pem, ec);
  bool mismatch =
      ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
  if (mismatch || (!ec && SSL_CTX_check_private_key(native) != 1)) {
    ERR_clear_error();
    out.error = failure("http.tls_key_file", files.key_file,
                        "does not match the certificate of http.tls_cert_file");
    return out;
  }
  if (ec) {
    out.error = failure("http.tls_key_file", files.key_file, reason_of(ec));
    return out;
  }
  if (!files.client_ca_file.empty()) {
    ctx->load_verify_file(files.client_ca_file, ec);
    STACK_OF(X509_NAME)* names =
        ec ? nullptr : SSL_load_client_CA_file(files.client_ca_file.c_str());
    if (ec || names == nullptr) {
      out.error = failure("http.tls_client_ca_file", files.client_ca_file,
                          ec ? reason_of(ec) : "no certificate in the file");
      return out;
    }
    SSL_CTX_set_client_CA_list(native, names);  // takes ownership: sent in the CertificateRequest
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  const X509* leaf = SSL_CTX_get0_certificate(native);
  if (leaf != nullptr) {
    out.serial = serial_text(leaf);
    out.subject = name_text(X509_get_subject_name(leaf));
    out.not_after = time_text(X509_get0_notAfter(leaf));
  }
  out.context = std::move(ctx);
  return out;
}

std::string verified_peer_subject(ssl_st* ssl) {
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  const X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return {};
  return name_text(X509_get_subject_name(cert));
}

namespace {

// One GENERAL_NAME as "DNS:…", "URI:…", "email:…" or "IP:…"; "" for the
// other kinds (directory names, other names), which no mapping can name.
std::string san_text(const GENERAL_NAME* n) {
  int type = 0;
  const auto* value = static_cast<const ASN1_STRING*>(GENERAL_NAME_get0_value(n, &type));
  if (value == nullptr) return {};
  const auto* data = ASN1_STRING_get0_data(value);
  const auto size = static_cast<std::size_t>(ASN1_STRING_length(value));
  const std::string text(reinterpret_cast<const char*>(data), size);
  switch (type) {
    case GEN_DNS: return "DNS:" + text;
    case GEN_URI: return "URI:" + text;
    case GEN_EMAIL: return "email:" + text;
    case GEN_IPADD: {
      std::array<char, 64> buf{};
      if (size == 4 && inet_ntop(AF_INET, data, buf.data(), buf.size())) return std::string("IP:") + buf.data();
      if (size == 16 && inet_ntop(AF_INET6, data, buf.data(), buf.size())) return std::string("IP:") + buf.data();
      return {};
    }
    default: return {};
  }
}

}  // namespace

std::vector<std::string> verified_peer_sans(ssl_st* ssl) {
  std::vector<std::string> out;
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return out;
  const X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    auto text = san_text(sk_GENERAL_NAME_value(names, i));
    // A name with a NUL inside would compare equal to a shorter one by
    // accident elsewhere; such a name is never a mapping's.
    if (!text.empty() && text.find('\0') == std::string::npos) out.push_back(std::move(text));
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace sluice::http
