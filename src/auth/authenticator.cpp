#include "auth/authenticator.hpp"

namespace sluice::auth {
namespace {

class open_authenticator final : public authenticator {
 public:
  outcome authenticate(const http::request&) override { return anonymous_; }

 private:
  const principal anonymous_ = anonymous();
};

class chain final : public authenticator {
 public:
  explicit chain(std::vector<std::unique_ptr<verifier>> v) : verifiers_(std::move(v)) {}

  outcome authenticate(const http::request& req) override {
    auto c = read_credential(req);
    if (c.form == credential_form::none && !req.client_subject.empty()) {
      for (const auto& v : verifiers_) {
        if (v->takes(credential_form::client_certificate)) {
          c.form = credential_form::client_certificate;
          return v->verify(c, req);
        }
      }
    }
    switch (c.form) {
      case credential_form::none:
      case credential_form::client_certificate:
        return refusal{"no credential", false};
      case credential_form::malformed:
        return refusal{std::string(c.problem), true};
      case credential_form::api_key:
      case credential_form::jwt:
        break;
    }
    for (const auto& v : verifiers_) {
      if (v->takes(c.form)) return v->verify(c, req);
    }
    return refusal{c.form == credential_form::jwt ? "a JWT, and no JWT keys are configured"
                                                  : "an API key, and no keys file is configured",
                   true};
  }

 private:
  const std::vector<std::unique_ptr<verifier>> verifiers_;
};

}  // namespace

std::unique_ptr<authenticator> make_open_authenticator() {
  return std::make_unique<open_authenticator>();
}

std::unique_ptr<authenticator> make_chain(std::vector<std::unique_ptr<verifier>> verifiers) {
  return std::make_unique<chain>(std::move(verifiers));
}

}  // namespace sluice::auth
