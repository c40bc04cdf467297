#include "app/keys_command.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <ctime>
#include <ostream>
#include <vector>

#include "auth/api_keys.hpp"
#include "auth/principal.hpp"
#include "config/config.hpp"

namespace sluice::app {
namespace {

using auth::key_entry;
using auth::keys_error;

// Holds an exclusive flock on "<file>.lock" for its lifetime.
class file_lock {
 public:
  explicit file_lock(const std::string& file) {
    const std::string path = file + ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) throw keys_error(path + ": cannot be locked");
  }
  ~file_lock() {
    if (fd_ >= 0) ::close(fd_);
  }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;

 private:
  int fd_ = -1;
};

bool is_id_like(const std::string& s) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string check_name(const std::string& n) {
  if (n.size() > 64) return "--name: at most 64 characters";
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '@';
    if (!ok) return "--name: only letters, digits and _ - . @";
  }
  if (is_id_like(n)) return "--name: 16 hex characters would read as a key id";
  return {};
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string status_of(const key_entry& k, std::int64_t now) {
  if (k.revoked_at) return "revoked " + auth::format_utc(*k.revoked_at);
  if (k.expires_at && now >= *k.expires_at) return "expired";
  return "active";
}

std::string rate_of(const std::optional<double>& r) {
  if (!r) return "default";
  std::string s = std::to_string(*r);
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  return s;
}

int create(const keys_request& req, std::ostream& out, std::ostream& err) {
  auto scopes = auth::split_scopes(req.scopes);
  if (scopes.empty()) {
    err << "sluice keys create: --scopes needs at least one scope\n";
    return 2;
  }
  for (const auto& s : scopes) {
    if (!auth::valid_scope(s)) {
      err << "sluice keys create: --scopes: '" << s
          << "' is not a scope (publish:<resource>, read:<resource>, status, admin, metrics, "
             "read:*, publish:*, *)\n";
      return 2;
    }
  }
  if (auto why = check_name(req.name); !why.empty()) {
    err << "sluice keys create: " << why << "\n";
    return 2;
  }
  if (req.rate && !(*req.rate >= 0 && *req.rate <= 1e9)) {
    err << "sluice keys create: --rate must be between 0 and 1e9 records/s (0 = unlimited)\n";
    return 2;
  }
  key_entry e;
  if (!req.expires.empty()) {
    e.expires_at = auth::parse_utc(req.expires);
    if (!e.expires_at) {
      err << "sluice keys create: --expires must be like 2027-01-01T00:00:00Z (UTC)\n";
      return 2;
    }
  }
  const auto pepper = auth::load_pepper(config::process_env("SLUICE_AUTH_PEPPER"), req.pepper_file);
  file_lock lock(req.keys_file);
  auto keys = auth::read_keys_file(req.keys_file, true);
  if (!req.name.empty()) {
    for (const auto& k : keys) {
      if (k.name == req.name && !k.revoked_at) {
        err << "sluice keys create: --name " << req.name << " is taken by key " << k.id << "\n";
        return 2;
      }
    }
  }
  auto fresh = auth::generate_key();
  for (const auto& k : keys) {
    if (k.id == fresh.id) fresh = auth::generate_key();  // 2^-64: but cheap to rule out
  }
  e.id = fresh.id;
  e.name = req.name;
  e.scopes = scopes;
  e.hmac = auth::key_hmac(pepper, fresh.key);
  e.created_at = now_s();
  e.rate = req.rate;
  keys.push_back(e);
  auth::write_keys_file(req.keys_file, keys);
  if (e.expires_at && *e.expires_at <= e.created_at) {
    err << "sluice keys create: warning: --expires is in the past; the key is refused already\n";
  }
  out << "id: " << e.id << "\n"
      << "name: " << e.name << "\n"
      << "scopes: " << join(e.scopes) << "\n"
      << "expires: " << (e.expires_at ? auth::format_utc(*e.expires_at) : "never") << "\n"
      << "rate: " << rate_of(e.rate) << "\n"
      << "# the key, shown this once (only its HMAC is stored):\n"
      << fresh.key << "\n";
  return out.flush() ? 0 : 1;
}

int list(const keys_request& req, std::ostream& out) {
  const auto keys = auth::read_keys_file(req.keys_file, true);
  const auto now = now_s();
  out << "ID\tNAME\tSCOPES\tEXPIRES\tRATE\tSTATUS\n";
  for (const auto& k : keys) {
    out << k.id << '\t' << (k.name.empty() ? "-" : k.name) << '\t' << join(k.scopes) << '\t'
        << (k.expires_at ? auth::format_utc(*k.expires_at) : "never") << '\t' << rate_of(k.rate)
        << '\t' << status_of(k, now) << '\n';
  }
  return out.flush() ? 0 : 1;
}

int revoke(const keys_request& req, std::ostream& out, std::ostream& err) {
  file_lock lock(req.keys_file);
  auto keys = auth::read_keys_file(req.keys_file, false);
  key_entry* hit = nullptr;
  for (auto& k : keys) {
    if (k.id == req.target) hit = &k;
  }
  if (!hit) {
    for (auto& k : keys) {
      if (!k.name.empty() && k.name == req.target && !k.revoked_at) hit = &k;
    }
  }
  if (!hit) {
    err << "sluice keys revoke: no active key with id or name " << req.target << "\n";
    return 2;
  }
  if (!hit->revoked_at) {
    hit->revoked_at = now_s();
    auth::write_keys_file(req.keys_file, keys);
  }
  out << "revoked " << hit->id << (hit->name.empty() ? "" : " (" + hit->name + ")") << "\n";
  return out.flush() ? 0 : 1;
}

}  // namespace

int run_keys(const keys_request& req, std::ostream& out, std::ostream& err) {
  try {
    switch (req.what) {
      case keys_request::action::create:
        return create(req, out, err);
      case keys_request::action::list:
        return list(req, out);
      case keys_request::action::revoke:
        return revoke(req, out, err);
    }
  } catch (const keys_error& e) {
    err << "sluice keys: " << e.what() << "\n";
    return 2;
  }
  return 2;
}

}  // namespace sluice::app
