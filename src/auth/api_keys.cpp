#include "auth/api_keys.hpp"

#include <boost/json.hpp>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include "auth/base64url.hpp"
#include "auth/principal.hpp"
#include "core/hex.hpp"

namespace sluice::auth {
namespace {

namespace json = boost::json;

constexpr std::string_view k_prefix = "slk_";
constexpr std::size_t k_id_bytes = 8;
constexpr std::size_t k_secret_bytes = 32;
constexpr std::size_t k_min_pepper = 16;
constexpr std::size_t k_max_file = 16 * 1024 * 1024;

bool is_lower_hex(std::string_view s, std::size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void random_bytes(unsigned char* p, std::size_t n) {
  if (RAND_bytes(p, static_cast<int>(n)) != 1) throw keys_error("the random number generator failed");
}

[[noreturn]] void bad_entry(const std::string& source, std::size_t i, const std::string& why) {
  throw keys_error(source + ": keys[" + std::to_string(i) + "]: " + why);
}

std::optional<std::int64_t> optional_time(const json::object& o, std::string_view key,
                                          const std::string& source, std::size_t i) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) bad_entry(source, i, std::string(key) + " must be a string or null");
  auto t = parse_utc(v->get_string());
  if (!t) bad_entry(source, i, std::string(key) + " must be like 2027-01-01T00:00:00Z");
  return t;
}

key_entry entry_of(const json::value& v, const std::string& source, std::size_t i) {
  if (!v.is_object()) bad_entry(source, i, "must be an object");
  const auto& o = v.get_object();
  key_entry e;
  const auto* id = o.if_contains("id");
  if (!id || !id->is_string() || !is_lower_hex(id->get_string(), 2 * k_id_bytes)) {
    bad_entry(source, i, "id must be 16 lowercase hex characters");
  }
  e.id = id->get_string();
  if (const auto* n = o.if_contains("name"); n && !n->is_null()) {
    if (!n->is_string()) bad_entry(source, i, "name must be a string");
    e.name = n->get_string();
  }
  const auto* h = o.if_contains("hmac");
  if (!h || !h->is_string() || !is_lower_hex(h->get_string(), 64)) {
    bad_entry(source, i, "hmac must be 64 lowercase hex characters");
  }
  e.hmac = h->get_string();
  const auto* scopes = o.if_contains("scopes");
  if (!scopes || !scopes->is_array()) bad_entry(source, i, "scopes must be an array of scopes");
  for (const auto& s : scopes->get_array()) {
    if (!s.is_string() || !valid_scope(s.get_string())) {
      bad_entry(source, i, "scopes: not a scope (publish:<resource>, read:<resource>, status, "
                           "admin, metrics, read:*, publish:*, *)");
    }
    e.scopes.emplace_back(s.get_string());
  }
  e.created_at = optional_time(o, "created_at", source, i).value_or(0);
  e.expires_at = optional_time(o, "expires_at", source, i);
  e.revoked_at = optional_time(o, "revoked_at", source, i);
  if (const auto* r = o.if_contains("rate"); r && !r->is_null()) {
    if (!r->is_number()) bad_entry(source, i, "rate must be a number or null");
    double x = r->to_number<double>();
    if (!(x >= 0 && x <= 1e9)) bad_entry(source, i, "rate must be between 0 and 1e9");
    e.rate = x;
  }
  return e;
}

}  // namespace

std::optional<key_parts> parse_key(std::string_view key) {
  if (key.substr(0, k_prefix.size()) != k_prefix) return std::nullopt;
  key.remove_prefix(k_prefix.size());
  auto sep = key.find('_');
  if (sep == std::string_view::npos) return std::nullopt;
  auto id = key.substr(0, sep), secret = key.substr(sep + 1);
  if (!is_lower_hex(id, 2 * k_id_bytes)) return std::nullopt;
  auto raw = base64url_decode(secret);
  if (!raw || raw->size() != k_secret_bytes) return std::nullopt;
  return key_parts{id, secret};
}

new_key generate_key() {
  std::array<unsigned char, k_id_bytes> id{};
  std::array<unsigned char, k_secret_bytes> secret{};
  random_bytes(id.data(), id.size());
  random_bytes(secret.data(), secret.size());
  new_key k;
  k.id = to_hex(id.data(), id.size());
  k.key = std::string(k_prefix) + k.id + "_" +
          base64url_encode(std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
  OPENSSL_cleanse(secret.data(), secret.size());
  return k;
}

std::string key_hmac(std::string_view pepper, std::string_view key) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), pepper.data(), static_cast<int>(pepper.size()),
            reinterpret_cast<const unsigned char*>(key.data()), key.size(), mac.data(), &n)) {
    throw keys_error("HMAC-SHA-256 failed");
  }
  return to_hex(mac.data(), n);
}

bool key_matches(const key_entry& entry, std::string_view pepper, std::string_view key) {
  const std::string mac = key_hmac(pepper, key);
  return mac.size() == entry.hmac.size() &&
         CRYPTO_memcmp(mac.data(), entry.hmac.data(), mac.size()) == 0;
}

std::string load_pepper(const std::optional<std::string>& env_value,
                        const std::string& pepper_file) {
  std::string pepper, source;
  if (env_value) {
    pepper = *env_value;
    source = "SLUICE_AUTH_PEPPER";
  } else if (!pepper_file.empty()) {
    std::ifstream in(pepper_file, std::ios::binary);
    if (!in) throw keys_error("auth.pepper_file " + pepper_file + ": cannot be read");
    std::getline(in, pepper);
    if (!pepper.empty() && pepper.back() == '\r') pepper.pop_back();
    source = "auth.pepper_file " + pepper_file;
  } else {
    throw keys_error(
        "API keys need a pepper (the HMAC key of the keys file): set SLUICE_AUTH_PEPPER or "
        "auth.pepper_file (never in the config text)");
  }
  if (pepper.size() < k_min_pepper) {
    throw keys_error(source + ": the pepper must be at least " + std::to_string(k_min_pepper) +
                     " bytes (e.g. `openssl rand -base64 32`)");
  }
  return pepper;
}

std::optional<std::int64_t> parse_utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SSZ exactly.
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return std::nullopt;
  }
  auto num = [&](std::size_t at, std::size_t n) -> int {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
      se = num(17, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      se < 0 || se > 59) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  const std::time_t t = timegm(&tm);
  // timegm normalises 31 February into March: refuse dates that moved.
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != d || back.tm_mon != mo - 1) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

std::string format_utc(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf.data();
}

std::vector<key_entry> parse_keys(std::string_view text, const std::string& source) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) throw keys_error(source + ": not JSON: " + ec.message());
  if (!root.is_object()) throw keys_error(source + ": must be a JSON object with \"keys\"");
  const auto& o = root.get_object();
  const auto* version = o.if_contains("version");
  if (!version || !version->is_int64() || version->get_int64() != 1) {
    throw keys_error(source + ": \"version\" must be 1");
  }
  const auto* keys = o.if_contains("keys");
  if (!keys || !keys->is_array()) throw keys_error(source + ": \"keys\" must be an array");
  std::vector<key_entry> out;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < keys->get_array().size(); ++i) {
    out.push_back(entry_of(keys->get_array()[i], source, i));
    if (!ids.insert(out.back().id).second) bad_entry(source, i, "id " + out.back().id + " repeats");
  }
  return out;
}

std::vector<key_entry> read_keys_file(const std::filesystem::path& file, bool missing_ok) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (missing_ok && !std::filesystem::exists(file, ec)) return {};
    throw keys_error(file.string() + ": cannot be read");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > k_max_file) throw keys_error(file.string() + ": over 16 MiB");
  return parse_keys(text.str(), file.string());
}

std::string serialize_keys(const std::vector<key_entry>& keys) {
  json::array arr;
  auto time_or_null = [](const std::optional<std::int64_t>& t) -> json::value {
    if (!t) return nullptr;
    return json::value(format_utc(*t));
  };
  for (const auto& k : keys) {
    json::object o;
    o["id"] = k.id;
    o["name"] = k.name;
    json::array scopes;
    for (const auto& s : k.scopes) scopes.emplace_back(s);
    o["scopes"] = std::move(scopes);
    o["hmac"] = k.hmac;
    o["created_at"] = format_utc(k.created_at);
    o["expires_at"] = time_or_null(k.expires_at);
    if (!k.rate) {
      o["rate"] = nullptr;
    } else if (*k.rate == static_cast<double>(static_cast<std::int64_t>(*k.rate))) {
      o["rate"] = static_cast<std::int64_t>(*k.rate);  // 50, not 5E1
    } else {
      o["rate"] = *k.rate;
    }
    o["revoked_at"] = time_or_null(k.revoked_at);
    arr.push_back(std::move(o));
  }
  json::object root;
  root["version"] = 1;
  root["keys"] = std::move(arr);
  return json::serialize(root) + "\n";
}

void write_keys_file(const std::filesystem::path& file, const std::vector<key_entry>& keys) {
  const std::string text = serialize_keys(keys);
  const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  std::string tmp = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  // mkstemp creates the file 0600: the hashes are never readable by others,
  // not even for a moment.
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw keys_error(file.string() + ": cannot write next to it: " + std::strerror(errno));
  auto fail = [&](const char* what) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw keys_error(file.string() + ": " + what + ": " + why);
  };
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write failed");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0600) != 0) fail("chmod failed");
  if (::fsync(fd) != 0) fail("fsync failed");
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw keys_error(file.string() + ": rename failed: " + why);
  }
  // The rename itself is durable once the directory is synced.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace sluice::auth
