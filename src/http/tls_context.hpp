#pragma once
// TLS for the HTTP server: the server's ssl::context built from PEM files,
// with the policy fixed here rather than configurable — TLS 1.2 and 1.3 only,
// ECDHE with AES-GCM or ChaCha20-Poly1305 for 1.2 (OpenSSL's defaults for
// 1.3), ALPN "http/1.1" only, no renegotiation, no compression. With a client
// CA file, a client certificate signed by one of its CAs is required.
// Asio SSL types stay inside src/http.

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}
struct ssl_st;  // OpenSSL's SSL

namespace sluice::http {

// Paths, named as the configuration keys that give them (errors use the names).
struct tls_files {
  std::string cert_file;       // http.tls_cert_file: PEM chain, leaf first
  std::string key_file;        // http.tls_key_file: PEM private key, unencrypted
  std::string client_ca_file;  // http.tls_client_ca_file: "" = no client certificates

  bool enabled() const { return !cert_file.empty(); }
};

struct tls_loaded {
  std::shared_ptr<boost::asio::ssl::context> context;  // null on failure
  std::string error;    // on failure: "http.tls_key_file: <path>: <OpenSSL's reason>"
  std::string serial;   // the leaf certificate's serial, hex, for the log
  std::string subject;  // the leaf certificate's subject (RFC 2253)
  std::string not_after;
};

// Reads the files now. Never throws; a key that does not match the
// certificate is an error. REQUIRES: files.enabled().
tls_loaded load_tls_context(const tls_files& files);

// The subject (RFC 2253, e.g. "CN=ingest-1,O=Example") of the certificate the
// peer presented and the handshake verified; "" when there is none.
std::string verified_peer_subject(ssl_st* ssl);

// That certificate's subject alternative names as "DNS:<name>", "URI:<uri>",
// "email:<address>" or "IP:<address>", in certificate order; empty when there
// is no verified certificate or it has none.
std::vector<std::string> verified_peer_sans(ssl_st* ssl);

}  // namespace sluice::http
