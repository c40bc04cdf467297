#pragma once
// `sluice keys create|list|revoke` (issue 12): manages auth.keys_file.
//   create --keys-file F --scopes publish:users,read:users [--name N] [--rate R]
//          [--expires 2027-01-01T00:00:00Z]
//     prints the key's details, then the new key alone on the last line of
//     stdout (shown once; only its HMAC is stored). Needs the pepper:
//     SLUICE_AUTH_PEPPER or --pepper-file.
//   list --keys-file F      ids, names, scopes, expiry, rate, status; never hashes
//   revoke --keys-file F ID|NAME
// Changes replace the file atomically (mode 0600) under an exclusive lock
// (F.lock), so concurrent invocations never lose each other's keys, and a
// running Sluice picks the change up within a second (or on SIGHUP).

#include <iosfwd>
#include <optional>
#include <string>

namespace sluice::app {

struct keys_request {
  enum class action { create, list, revoke } what = action::list;
  std::string keys_file;
  std::string pepper_file;  // create: when SLUICE_AUTH_PEPPER is unset
  std::string scopes;       // create: comma- or space-separated
  std::string name;         // create
  std::optional<double> rate;
  std::string expires;  // create: "" = never
  std::string target;   // revoke: an id or a name
};

// Returns the exit code: 0, or 2 with the reason on `err` for a bad request
// or an unusable file.
int run_keys(const keys_request& req, std::ostream& out, std::ostream& err);

}  // namespace sluice::app
