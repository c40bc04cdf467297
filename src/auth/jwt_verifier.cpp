#include "auth/jwt_verifier.hpp"

#include <chrono>
#include <fstream>
#include <optional>

#include "observe/log.hpp"

namespace sluice::auth {
namespace {

// Key files are small; anything bigger is not one.
constexpr std::size_t k_max_key_file = 1 << 20;

std::int64_t wall_now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > k_max_key_file) return std::nullopt;
  }
  return text;
}

}  // namespace

jwt_verifier::jwt_verifier(options o) : opts_(std::move(o)) {
  if (!opts_.now_s) opts_.now_s = wall_now_s;
  pem_.path = opts_.pem_file;
  jwks_.path = opts_.jwks_file;
  jwks_.jwks = true;
}

result<std::shared_ptr<jwt_verifier>> jwt_verifier::open(options o) {
  if (o.pem_file.empty() && o.jwks_file.empty())
    return {jwt_errc::bad_key, "auth.jwt_pem_file or auth.jwks_file must name a file"};
  auto v = std::make_shared<jwt_verifier>(std::move(o));
  std::lock_guard lock(v->mu_);
  for (auto* w : {&v->pem_, &v->jwks_}) {
    if (w->path.empty()) continue;
    auto r = v->refresh(*w, true);
    if (!r) return r.why();
  }
  v->keys_ = {v->pem_.keys, v->jwks_.keys};
  v->last_check_s_ = v->opts_.now_s();
  return v;
}

result<bool> jwt_verifier::refresh(watched& w, bool at_start) {
  const file_stamp stamp = file_stamp::of(w.path);
  if (!at_start && stamp == w.stamp) return false;
  w.stamp = stamp;  // a bad file is reported once per change, not per request
  const char* name = w.jwks ? "auth.jwks_file" : "auth.jwt_pem_file";
  auto text = read_file(w.path);
  result<jwt_keyset> keys =
      !text ? result<jwt_keyset>(jwt_errc::bad_key, "cannot read it, or it is over 1 MiB")
            : (w.jwks ? jwt_keyset::from_jwks(*text) : jwt_keyset::from_pem(*text));
  if (!keys) {
    const std::string why = std::string(name) + " " + w.path + ": " + keys.message();
    if (at_start) return {jwt_errc::bad_key, why};
    observe::warn("JWT keys not reloaded, the previous keys stay in use",
                  {{"file", w.path}, {"error", keys.message()}});
    return false;
  }
  const std::size_t n = keys->size();
  w.keys = std::make_shared<const jwt_keyset>(std::move(*keys));
  observe::info(at_start ? "JWT keys loaded" : "JWT keys reloaded",
                {{"file", w.path}, {"keys", n}});
  return true;
}

void jwt_verifier::reload() {
  std::lock_guard lock(mu_);
  bool changed = false;
  for (auto* w : {&pem_, &jwks_}) {
    if (w->path.empty()) continue;
    auto r = refresh(*w, false);
    changed = changed || (r && *r);
  }
  if (changed) keys_ = {pem_.keys, jwks_.keys};
}

void jwt_verifier::maybe_reload(std::int64_t now_s) {
  auto last = last_check_s_.load(std::memory_order_relaxed);
  if (now_s - last < 1) return;
  // One thread looks; the others go on with the keys they have.
  if (!last_check_s_.compare_exchange_strong(last, now_s, std::memory_order_relaxed)) return;
  reload();
}

result<jwt_identity> jwt_verifier::verify(std::string_view token) {
  const auto now = opts_.now_s();
  maybe_reload(now);
  jwt_keys keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  return verify_jwt(token, keys, opts_.settings, now);
}

}  // namespace sluice::auth
