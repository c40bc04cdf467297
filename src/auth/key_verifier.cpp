#include "auth/key_verifier.hpp"

#include "observe/log.hpp"

namespace sluice::auth {
namespace {

std::shared_ptr<const std::unordered_map<std::string, key_entry>> index(
    std::vector<key_entry> entries) {
  auto t = std::make_shared<std::unordered_map<std::string, key_entry>>();
  for (auto& e : entries) {
    std::string id = e.id;
    t->emplace(std::move(id), std::move(e));
  }
  return t;
}

std::size_t active(const std::unordered_map<std::string, key_entry>& t) {
  std::size_t n = 0;
  for (const auto& [id, e] : t) n += e.revoked_at ? 0 : 1;
  return n;
}

}  // namespace

key_verifier::key_verifier(options o) : opts_(std::move(o)) {
  stamp_ = file_stamp::of(opts_.keys_file);
  keys_ = index(read_keys_file(opts_.keys_file, false));
  last_check_s_ = opts_.now_s();
  observe::info("API keys loaded", {{"file", opts_.keys_file}, {"keys", keys_->size()},
                                    {"active", active(*keys_)}});
}

void key_verifier::reload() {
  std::lock_guard lock(mu_);
  const file_stamp now = file_stamp::of(opts_.keys_file);
  if (now == stamp_) return;
  stamp_ = now;  // a bad file is reported once per change, not per request
  try {
    keys_ = index(read_keys_file(opts_.keys_file, false));
    observe::info("API keys reloaded", {{"file", opts_.keys_file}, {"keys", keys_->size()},
                                        {"active", active(*keys_)}});
  } catch (const keys_error& e) {
    // Keeping the old keys: a half-written or broken file must not lock
    // every client out (revocations in it wait for a good file).
    observe::warn("API keys not reloaded, the previous keys stay in use",
                  {{"file", opts_.keys_file}, {"error", e.what()}});
  }
}

void key_verifier::maybe_reload(std::int64_t now_s) {
  auto last = last_check_s_.load(std::memory_order_relaxed);
  if (now_s - last < 1) return;
  // One thread looks; the others go on with the keys they have.
  if (!last_check_s_.compare_exchange_strong(last, now_s, std::memory_order_relaxed)) return;
  reload();
}

outcome key_verifier::verify(const credential& c, const http::request&) {
  const auto now = opts_.now_s();
  maybe_reload(now);
  auto parts = parse_key(c.value);
  if (!parts) return refusal{"not an API key of this service (slk_<id>_<secret>)", true};
  std::shared_ptr<const table> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  const std::string id(parts->id);
  auto it = keys->find(id);
  // The id is not secret (it is what logs name), so saying which one failed is safe.
  if (it == keys->end()) return refusal{"unknown API key id " + id, true};
  const key_entry& e = it->second;
  if (!key_matches(e, opts_.pepper, c.value)) return refusal{"wrong secret for API key " + id, true};
  if (e.revoked_at) return refusal{"API key " + id + " is revoked", true};
  if (e.expires_at && now >= *e.expires_at) return refusal{"API key " + id + " has expired", true};
  return principal{e.id, "key", e.scopes, e.rate};
}

}  // namespace sluice::auth
