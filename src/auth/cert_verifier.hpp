#pragma once
// The client-certificate link of the authenticator chain (authenticator.hpp,
// issue 12): a connection whose TLS handshake verified a client certificate
// against http.tls_client_ca_file, and whose request carries no other
// credential, speaks for the principal its certificate maps to
// ([[auth.client_certs]]): kind "cert", id = the mapping's name, its scopes
// and rate. A verified certificate that no mapping names is a refusal with
// `forbidden` set (403): the client is known to the CA but not admitted here.
//
// A mapping matches when its subject equals the certificate's subject (RFC
// 2253 text, exactly as http::request::client_subject carries it), or its
// SAN equals one of the certificate's subject alternative names ("DNS:…",
// "URI:…", "email:…", "IP:…"). Subject mappings are tried before SAN ones;
// within each, the first in configuration order wins.
//
// Thread safety: immutable once built; verify() from any thread.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"

namespace sluice::auth {

struct cert_mapping {
  std::string subject;  // exactly one of subject and san
  std::string san;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<double> rate;  // records/s; nullopt = as other principals
};

// The principal `req`'s verified certificate maps to: nullopt when none does
// (or there is no certificate).
std::optional<principal> map_certificate(const std::vector<cert_mapping>& mappings,
                                         const http::request& req);

std::unique_ptr<verifier> make_cert_verifier(std::vector<cert_mapping> mappings);

}  // namespace sluice::auth
