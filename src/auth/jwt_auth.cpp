#include "auth/jwt_auth.hpp"

#include <utility>

namespace sluice::auth {
namespace {

class jwt_link final : public verifier {
 public:
  explicit jwt_link(std::shared_ptr<jwt_verifier> jwt) : jwt_(std::move(jwt)) {}

  bool takes(credential_form form) const override { return form == credential_form::jwt; }

  outcome verify(const credential& c, const http::request&) override {
    auto id = jwt_->verify(c.value);
    if (!id) return refusal{"JWT: " + id.message(), true};
    principal p;
    p.id = std::move(id->subject);
    p.kind = "jwt";
    for (auto& s : id->scopes)
      if (valid_scope(s)) p.scopes.push_back(std::move(s));
    return p;
  }

 private:
  std::shared_ptr<jwt_verifier> jwt_;
};

}  // namespace

std::unique_ptr<verifier> make_jwt_verifier(std::shared_ptr<jwt_verifier> jwt) {
  return std::make_unique<jwt_link>(std::move(jwt));
}

}  // namespace sluice::auth
