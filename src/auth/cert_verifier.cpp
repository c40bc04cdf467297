#include "auth/cert_verifier.hpp"

#include <algorithm>

namespace sluice::auth {
namespace {

principal principal_of(const cert_mapping& m) {
  return principal{m.name, "cert", m.scopes, m.rate};
}

class cert_verifier final : public verifier {
 public:
  explicit cert_verifier(std::vector<cert_mapping> m) : mappings_(std::move(m)) {}

  bool takes(credential_form form) const override {
    return form == credential_form::client_certificate;
  }

  outcome verify(const credential&, const http::request& req) override {
    if (auto p = map_certificate(mappings_, req)) return std::move(*p);
    // The subject is no secret (the CA issued it to this client), and the
    // operator needs it to write the mapping.
    return refusal{"a verified client certificate that no auth.client_certs entry maps: " +
                       req.client_subject,
                   true, true};
  }

 private:
  const std::vector<cert_mapping> mappings_;
};

}  // namespace

std::optional<principal> map_certificate(const std::vector<cert_mapping>& mappings,
                                         const http::request& req) {
  if (req.client_subject.empty()) return std::nullopt;
  for (const auto& m : mappings) {
    if (!m.subject.empty() && m.subject == req.client_subject) return principal_of(m);
  }
  for (const auto& m : mappings) {
    if (!m.san.empty() &&
        std::find(req.client_sans.begin(), req.client_sans.end(), m.san) != req.client_sans.end()) {
      return principal_of(m);
    }
  }
  return std::nullopt;
}

std::unique_ptr<verifier> make_cert_verifier(std::vector<cert_mapping> mappings) {
  return std::make_unique<cert_verifier>(std::move(mappings));
}

}  // namespace sluice::auth
