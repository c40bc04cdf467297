#include "support/tls_files.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

namespace sluice::testing {

shell_result shell(const std::string& command) {
  shell_result r;
  std::string full = "exec 2>&1 </dev/null; " + command;
  FILE* p = popen(full.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

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
               const std::string& subject, const std::string& serial_hex, bool server) {
  auto ext = dir / (name + ".ext");
  std::ofstream(ext) << (server ? "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                  "extendedKeyUsage=serverAuth\n"
                                : "extendedKeyUsage=clientAuth\n");
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
