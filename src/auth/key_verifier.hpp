#pragma once
// Verifies API keys (credential_form::api_key) against auth.keys_file.
//
// Each verify(): parse "slk_<id>_<secret>", find the id (hash map), one
// HMAC-SHA-256 with the pepper, CRYPTO_memcmp against the stored HMAC, then
// revoked / expired. No per-key cache is needed: that is one HMAC of ~60
// bytes per request (about a microsecond), and nothing secret is kept beyond
// the HMACs the file already holds.
//
// The file is read again, without a restart, on reload() (SIGHUP) and when
// its identity (device, inode, size, mtime) changed, looked at by the first
// request after at least a second since the last look. `sluice keys revoke`
// replaces the file atomically, so a revoked key is refused by the first
// request after that look, on any connection. A file that changed but does
// not parse keeps the previous keys and says so once in the log.
//
// Thread safety: verify() and reload() from any thread; the table is an
// immutable snapshot swapped under a mutex.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "auth/api_keys.hpp"
#include "auth/authenticator.hpp"
#include "auth/file_stamp.hpp"

namespace sluice::auth {

class key_verifier final : public verifier {
 public:
  struct options {
    std::string keys_file;
    std::string pepper;  // load_pepper()
    // Seconds since the Unix epoch; tests inject their own.
    std::function<std::int64_t()> now_s;
  };

  // Reads the file (which must exist and parse). Throws keys_error.
  explicit key_verifier(options o);

  bool takes(credential_form form) const override { return form == credential_form::api_key; }
  outcome verify(const credential& c, const http::request& req) override;
  // Reads the file again now if it changed (SIGHUP).
  void reload();

 private:
  using table = std::unordered_map<std::string, key_entry>;
  void maybe_reload(std::int64_t now_s);

  const options opts_;
  std::mutex mu_;  // guards keys_ and stamp_
  std::shared_ptr<const table> keys_;
  file_stamp stamp_;
  std::atomic<std::int64_t> last_check_s_{0};
};

}  // namespace sluice::auth
