#pragma once
// Certificates for TLS tests, made with the `openssl` CLI in a test's temp
// dir: a CA, server certificates (CN=localhost, SAN localhost and 127.0.0.1)
// and client certificates, all P-256, valid two days.

#include <filesystem>
#include <string>

#include "support/shell.hpp"

namespace sluice::testing {

// Writes DIR/NAME.crt (self-signed CA) and DIR/NAME.key; false on failure.
bool make_ca(const std::filesystem::path& dir, const std::string& name);

// Writes DIR/NAME.crt and DIR/NAME.key signed by DIR/CA.crt, with subject
// `subject` ("/CN=…/O=…"), serial `serial_hex`, for a server (SAN localhost
// and 127.0.0.1) or a client (extendedKeyUsage clientAuth, and the subject
// alternative names `client_san` when set, in openssl's syntax:
// "URI:spiffe://acme/ingest,DNS:ingest-1.acme.test").
bool make_leaf(const std::filesystem::path& dir, const std::string& ca, const std::string& name,
               const std::string& subject, const std::string& serial_hex, bool server,
               const std::string& client_san = {});

}  // namespace sluice::testing
