#pragma once
// JWT verification with keys read from files (auth.jwt_pem_file and/or
// auth.jwks_file) and read again when a file changes, without a restart:
// each verify() looks at the files' identity (inode, size, modification
// time) at most once a second, and reload() (SIGHUP) looks at once. A file
// that changed but no longer holds usable keys keeps the previous keys and
// says so once in the log (a half-written file must not lock everyone out).
//
// Thread safety: verify() and reload() may be called from any thread; the
// keys are an immutable snapshot swapped under a mutex.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "auth/file_stamp.hpp"
#include "auth/jwt.hpp"
#include "core/result.hpp"

namespace sluice::auth {

class jwt_verifier {
 public:
  struct options {
    std::string pem_file;   // "" = none
    std::string jwks_file;  // "" = none; at least one of the two
    jwt_settings settings;
    // Seconds since the Unix epoch; tests inject their own.
    std::function<std::int64_t()> now_s;
  };

  // Reads the files once. A failure names the file and what is wrong with it.
  static result<std::shared_ptr<jwt_verifier>> open(options o);

  result<jwt_identity> verify(std::string_view token);
  void reload();

  explicit jwt_verifier(options o);  // use open()

 private:
  struct watched {
    std::string path;
    bool jwks = false;
    file_stamp stamp;
    std::shared_ptr<const jwt_keyset> keys;
  };
  // Re-reads `w` if its stamp changed. REQUIRES: mu_ held.
  result<bool> refresh(watched& w, bool at_start);
  void maybe_reload(std::int64_t now_s);

  options opts_;
  std::mutex mu_;  // guards pem_, jwks_ and keys_
  watched pem_, jwks_;
  jwt_keys keys_;
  std::atomic<std::int64_t> last_check_s_{0};
};

}  // namespace sluice::auth
