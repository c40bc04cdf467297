#pragma once
// Builds the authenticator `[auth]` asks for, and refuses configurations that
// would expose the service by mistake (issue 12):
//  - mode = "none" on a non-loopback http.listen, unless auth.allow_open;
//  - mode = "required" with neither auth.keys_file nor JWT keys (nothing
//    could ever be admitted).
// Called at the start of the API role only; a worker serves no requests.

#include <functional>
#include <memory>
#include <string_view>

#include "auth/authenticator.hpp"
#include "config/config.hpp"

namespace sluice::app {

// Whether a host:port listens on loopback only: 127.0.0.0/8, [::1] or
// localhost. 0.0.0.0, [::] and every other name or address are not.
bool is_loopback_listen(std::string_view listen);

struct authentication {
  std::unique_ptr<auth::authenticator> authenticator;
  // Reads the keys files again if they changed (SIGHUP); empty when there is
  // nothing to reload. Refers to `authenticator`.
  std::function<void()> reload;
};

// Throws config::config_error naming the key when the [auth] section cannot
// be used as it stands (see above), or when the keys file or its pepper
// cannot be read; logs whether authentication is on. The pepper comes from
// `env` (SLUICE_AUTH_PEPPER) or auth.pepper_file.
authentication make_authenticator(const config::config& cfg,
                                  const config::env_lookup& env = config::process_env);

}  // namespace sluice::app
