#pragma once
// API keys (issue 12): their form, their hash, and the keys file.
//
// A key is "slk_<id>_<secret>": <id> 16 lowercase hex characters (8 random
// bytes), never secret, what logs and metrics name; <secret> 32 random bytes
// (OpenSSL RAND_bytes) in base64url. The file stores only
// HMAC-SHA-256(pepper, key): the pepper is a server secret kept apart from
// the file (SLUICE_AUTH_PEPPER or auth.pepper_file), so a stolen keys file
// alone lets no one guess a key. A memory-hard hash would buy nothing here:
// the secret is 256 random bits, not a password, so there is nothing to slow
// a guesser down from; one HMAC per request keeps the hot path cheap.
//
// The keys file is JSON (Boost.JSON):
//   {"version":1,"keys":[{"id":"…","name":"…","scopes":["publish:users"],
//     "hmac":"<64 hex>","created_at":"2026-…Z","expires_at":"2027-…Z"|null,
//     "rate":250|null,"revoked_at":"…Z"|null}]}
// written atomically (a temp file in the same directory, fsync, rename),
// mode 0600. Pure functions except where a file is named; no shared state.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::auth {

// A keys file, pepper or key that cannot be used; what() names the file and
// the entry, never a secret.
class keys_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct key_entry {
  std::string id;    // 16 lowercase hex
  std::string name;  // operator's label, unique among active keys; may be ""
  std::vector<std::string> scopes;
  std::string hmac;                       // 64 lowercase hex
  std::int64_t created_at = 0;            // Unix seconds
  std::optional<std::int64_t> expires_at;  // Unix seconds; refused from then on
  std::optional<double> rate;             // records/s; nullopt = auth.default_rate
  std::optional<std::int64_t> revoked_at;  // set by `sluice keys revoke`
};

// The parts of a presented key; nullopt when it is not of the form above.
struct key_parts {
  std::string_view id;
  std::string_view secret;
};
std::optional<key_parts> parse_key(std::string_view key);

// A new random key and its id. Throws keys_error if the RNG fails.
struct new_key {
  std::string id;
  std::string key;  // "slk_<id>_<secret>": shown once, never stored
};
new_key generate_key();

// HMAC-SHA-256(pepper, key) as 64 lowercase hex.
std::string key_hmac(std::string_view pepper, std::string_view key);

// Whether `key` is the key `entry` was made for (constant time in the HMAC).
bool key_matches(const key_entry& entry, std::string_view pepper, std::string_view key);

// The pepper: SLUICE_AUTH_PEPPER if set, else the first line of
// `pepper_file`. At least 16 bytes. Throws keys_error naming the source.
std::string load_pepper(const std::optional<std::string>& env_value,
                        const std::string& pepper_file);

// RFC 3339 UTC with seconds, "2027-01-01T00:00:00Z" (what --expires takes and
// the file holds). nullopt when `s` is not exactly that form.
std::optional<std::int64_t> parse_utc(std::string_view s);
std::string format_utc(std::int64_t unix_seconds);

// Reads a keys file; a missing file is an empty list when `missing_ok`.
// Throws keys_error for anything unreadable or invalid (bad JSON, a bad
// scope, a repeated id).
std::vector<key_entry> read_keys_file(const std::filesystem::path& file, bool missing_ok);
std::vector<key_entry> parse_keys(std::string_view json_text, const std::string& source);
std::string serialize_keys(const std::vector<key_entry>& keys);
// Atomically replaces `file` (mode 0600). Throws keys_error.
void write_keys_file(const std::filesystem::path& file, const std::vector<key_entry>& keys);

}  // namespace sluice::auth
