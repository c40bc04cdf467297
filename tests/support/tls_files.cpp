#include "support/tls_files.hpp"

#include <fstream>

namespace sluice::testing {

namespace {

std::string quoted(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

}  // namespace

bool make_ca(const std::filesystem::path& dir, const std::string& name) {
  auto r = shell(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
      " -subj '/CN=" +
      name + "' -keyout " + quoted(dir / (name + ".key")) + " -out " +
      quoted(dir / (name + ".crt")));
  return r.status == 0;
}

bool make_leaf(const std::filesystem::path& dir, const std::string& ca, const std::string& name,
               const std::string& subject, const std::string& serial_hex, bool server,
               const std::string& client_san) {
  auto ext = dir / (name + ".ext");
  std::ofstream(ext) << (server ? "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                  "extendedKeyUsage=serverAuth\n"
                                : "extendedKeyUsage=clientAuth\n")
                     << (!server && !client_san.empty() ? "subjectAltName=" + client_san + "\n" : "");
  auto csr = dir / (name + ".csr");
  auto r =
      shell("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '" + subject +
            "' -keyout " + quoted(dir / (name + ".key")) + " -out " + quoted(csr) +
            " && openssl x509 -req -in " + quoted(csr) + " -CA " + quoted(dir / (ca + ".crt")) +
            " -CAkey " + quoted(dir / (ca + ".key")) + " -set_serial 0x" + serial_hex +
            " -days 2 -extfile " + quoted(ext) + " -out " + quoted(dir / (name + ".crt")));
  return r.status == 0;
}

}  // namespace sluice::testing
