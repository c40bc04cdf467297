#include "app/auth_setup.hpp"

#include <ctime>
#include <string>
#include <vector>

#include "auth/api_keys.hpp"
#include "auth/cert_verifier.hpp"
#include "auth/credential.hpp"
#include "auth/jwt_auth.hpp"
#include "auth/key_verifier.hpp"
#include "observe/log.hpp"

namespace sluice::app {
namespace {

bool is_ipv4_loopback(std::string_view host) {
  // 127.a.b.c with decimal octets; anything else is not loopback.
  if (host.substr(0, 4) != "127.") return false;
  int parts = 2, digits = 0, value = 0;  // "127" and the one being read
  for (char c : host.substr(4)) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = value = 0;
    } else if (c >= '0' && c <= '9') {
      value = value * 10 + (c - '0');
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return parts == 4 && digits > 0;
}

[[noreturn]] void refuse(const config::config& cfg, std::string_view key, std::string_view why) {
  throw config::config_error(cfg.source.string() + ": " + std::string(key) + ": " +
                             std::string(why));
}

}  // namespace

bool is_loopback_listen(std::string_view listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return false;
  auto host = listen.substr(0, colon);
  return host == "localhost" || host == "[::1]" || is_ipv4_loopback(host);
}

authentication make_authenticator(const config::config& cfg, const config::env_lookup& env) {
  const auto& a = cfg.auth;
  if (a.mode == config::auth_mode::none) {
    const bool loopback = is_loopback_listen(cfg.http.listen);
    if (!loopback && !a.allow_open) {
      refuse(cfg, "auth.mode",
             "\"none\" (no authentication) on the non-loopback address " + cfg.http.listen +
                 " would let anyone who can reach it publish and read everything; listen on "
                 "127.0.0.1, set auth.mode = \"required\", or set auth.allow_open = true to "
                 "accept that");
    }
    observe::warn("authentication is off",
                  {{"auth_mode", "none"}, {"listen", cfg.http.listen}, {"loopback_only", loopback}});
    return {auth::make_open_authenticator(), {}};
  }
  const bool jwt = !a.jwks_file.empty() || !a.jwt_pem_file.empty();
  if (a.keys_file.empty() && !jwt && a.client_certs.empty()) {
    refuse(cfg, "auth.mode",
           "\"required\" needs auth.keys_file (API keys, see `sluice keys create`), JWT keys "
           "(auth.jwks_file or auth.jwt_pem_file) or [[auth.client_certs]]; with none no request "
           "could be admitted");
  }
  std::vector<std::unique_ptr<auth::verifier>> verifiers;
  if (!a.client_certs.empty()) {
    std::vector<auth::cert_mapping> mappings;
    for (const auto& c : a.client_certs) {
      std::optional<double> rate;
      if (c.rate) rate = static_cast<double>(*c.rate);
      mappings.push_back({c.subject, c.san, c.name, c.scopes, rate});
    }
    verifiers.push_back(auth::make_cert_verifier(std::move(mappings)));
  }
  std::vector<std::function<void()>> reloads;
  if (!a.keys_file.empty()) {
    try {
      auto pepper = auth::load_pepper(env ? env("SLUICE_AUTH_PEPPER") : std::nullopt,
                                      a.pepper_file);
      auto keys = std::make_unique<auth::key_verifier>(auth::key_verifier::options{
          a.keys_file, std::move(pepper), [] {
            return static_cast<std::int64_t>(std::time(nullptr));
          }});
      reloads.emplace_back([k = keys.get()] { k->reload(); });
      verifiers.push_back(std::move(keys));
    } catch (const auth::keys_error& e) {
      refuse(cfg, "auth.keys_file", e.what());
    }
  }
  if (jwt) {
    auth::jwt_verifier::options o;
    o.pem_file = a.jwt_pem_file;
    o.jwks_file = a.jwks_file;
    o.settings.issuer = a.jwt_issuer;
    o.settings.audience = a.jwt_audience;
    o.settings.scope_claim = a.jwt_scope_claim;
    o.settings.leeway_s = a.jwt_leeway_s;
    // The chain refuses longer credentials before any verifier sees them.
    o.settings.max_token_bytes = auth::k_max_credential;
    auto v = auth::jwt_verifier::open(std::move(o));
    if (!v) refuse(cfg, a.jwks_file.empty() ? "auth.jwt_pem_file" : "auth.jwks_file", v.message());
    if (a.jwt_issuer.empty() || a.jwt_audience.empty()) {
      // Without both, a token the same identity provider issued for another
      // application would be accepted here.
      observe::warn("JWT issuer or audience not checked: set auth.jwt_issuer and auth.jwt_audience",
                    {{"jwt_issuer", a.jwt_issuer}, {"jwt_audience", a.jwt_audience}});
    }
    std::shared_ptr<auth::jwt_verifier> keys = std::move(*v);
    reloads.emplace_back([keys] { keys->reload(); });  // SIGHUP reads the JWT keys again too
    verifiers.push_back(auth::make_jwt_verifier(std::move(keys)));
  }
  observe::info("authentication is on",
                {{"auth_mode", "required"},
                 {"keys_file", a.keys_file},
                 {"jwt", jwt},
                 {"client_certs", static_cast<std::int64_t>(a.client_certs.size())},
                 {"anonymous_rate", static_cast<std::int64_t>(a.anonymous_rate)},
                 {"default_rate", static_cast<std::int64_t>(a.default_rate)}});
  authentication out{auth::make_chain(std::move(verifiers)), {}};
  if (!reloads.empty()) {
    out.reload = [reloads = std::move(reloads)] {
      for (const auto& r : reloads) r();
    };
  }
  return out;
}

}  // namespace sluice::app
