#pragma once
// Who a request speaks for, and what it may do. A principal comes from a
// credential (an API key, a JWT, a client certificate) or, with
// `[auth] mode = "none"`, is the anonymous one that may do everything.
//
// Scopes (issue 12):
//   publish:<resource>   POST /v1/<resource>
//   read:<resource>      GET /v1/<resource>, GET /v1/<resource>/{id}
//   status               GET /v1/messages/{id}
//   admin                dead letters, redrive, console
//   metrics              GET /metrics
//   publish:*, read:*    the action on every resource
//   *                    everything
// Pure functions, no state: safe from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::auth {

struct principal {
  // Stable and never secret: an API key's id, a JWT's `sub`, a certificate's
  // subject. Logged, used in metrics and in idempotency scoping; "" only for
  // the anonymous principal of mode none (so ids derived without auth keep
  // their values).
  std::string id;
  std::string kind;  // "key" | "jwt" | "cert" | "anonymous"
  std::vector<std::string> scopes;
  // Records per second this principal may publish; nullopt = the configured
  // auth.default_rate. 0 = unlimited.
  std::optional<double> rate;
};

// The principal of `[auth] mode = "none"`: id "", kind "anonymous", scope "*".
principal anonymous();

// Whether `s` is a scope of the grammar above (resource names as in the
// config: [a-z][a-z0-9_]{0,62}).
bool valid_scope(std::string_view s);

// Whether the granted scope `granted` covers the needed scope `needed`.
// `*` covers all; `read:*` covers every `read:<r>` (and `publish:*` every
// `publish:<r>`); anything else covers only itself. `admin` does not imply
// the others: operators grant what they mean.
bool covers(std::string_view granted, std::string_view needed);

// Whether any of `p`'s scopes covers `needed`. An empty `needed` (a route
// that needs no scope) is always allowed.
bool allows(const principal& p, std::string_view needed);

// Splits a scope list given as "a,b c" (commas and/or spaces, as a CLI option
// or a JWT `scope` claim writes it) into its scopes, empty pieces dropped.
// Validation is the caller's (valid_scope).
std::vector<std::string> split_scopes(std::string_view list);

// The scope a route needs for an action on a resource: "publish:users".
std::string publish_scope(std::string_view resource);
std::string read_scope(std::string_view resource);

}  // namespace sluice::auth
