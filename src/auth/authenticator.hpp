#pragma once
// Turns a request's credential into a principal, or refuses it.
//
// `authenticator` is what the router calls, once per request that needs a
// scope. `chain` is the implementation for `[auth] mode = "required"`: a list
// of verifiers, each taking the credential forms it knows (credential.hpp);
// the first that takes the request's form decides. Extension point: a JWT
// verifier takes credential_form::jwt, a client-certificate verifier would
// take requests whose connection presented one; add them to the chain in
// app/ (make_authenticator), nothing else changes.
//
// Thread safety: authenticate() is called from every io thread at once;
// implementations must be safe for that (the chain is immutable once built;
// verifiers guard their own state).

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "auth/credential.hpp"
#include "auth/principal.hpp"
#include "http/message.hpp"

namespace sluice::auth {

// Why a request was not authenticated: 401 (no credential, or one that does
// not verify), or 403 when `forbidden`. `reason` is for the log: it may name a key's id, never the
// credential itself.
struct refusal {
  std::string reason;
  bool presented = false;  // a credential was there (error="invalid_token" in WWW-Authenticate)
  // 403, not 401: the identity is verified but maps to no principal (a
  // client certificate no auth.client_certs entry names).
  bool forbidden = false;
};

using outcome = std::variant<principal, refusal>;

class authenticator {
 public:
  virtual ~authenticator() = default;
  virtual outcome authenticate(const http::request& req) = 0;
};

// One way of verifying credentials (API keys, JWTs, …).
class verifier {
 public:
  virtual ~verifier() = default;
  // Whether this verifier decides credentials of `form`.
  virtual bool takes(credential_form form) const = 0;
  // REQUIRES: takes(c.form). Called from any io thread.
  virtual outcome verify(const credential& c, const http::request& req) = 0;
};

// mode = "none": every request is anonymous() (the credential is not read).
std::unique_ptr<authenticator> make_open_authenticator();

// mode = "required": no credential → refusal; a malformed one → refusal; else
// the first verifier that takes its form decides, and a form no verifier
// takes (a JWT with no JWT keys configured) is refused. A request with no
// header credential over a connection with a verified client certificate is
// credential_form::client_certificate when a verifier takes that form
// (cert_verifier.hpp); without one it is "no credential" as before. A header
// credential always wins over the certificate.
std::unique_ptr<authenticator> make_chain(std::vector<std::unique_ptr<verifier>> verifiers);

}  // namespace sluice::auth
