#pragma once
// Builds the authenticator `[auth]` asks for, and refuses configurations that
// would expose the service by mistake (issue 12):
//  - mode = "none" on a non-loopback http.listen, unless auth.allow_open;
//  - mode = "required" with neither auth.keys_file nor JWT keys (nothing
//    could ever be admitted).
// Called at the start of the API role only; a worker serves no requests.

#include <memory>
#include <string_view>

#include "auth/authenticator.hpp"
#include "config/config.hpp"

namespace sluice::app {

// Whether a host:port listens on loopback only: 127.0.0.0/8, [::1] or
// localhost. 0.0.0.0, [::] and every other name or address are not.
bool is_loopback_listen(std::string_view listen);

// Throws config::config_error naming the key when the [auth] section cannot
// be used as it stands (see above), and logs whether authentication is on.
std::unique_ptr<auth::authenticator> make_authenticator(const config::config& cfg);

}  // namespace sluice::app
