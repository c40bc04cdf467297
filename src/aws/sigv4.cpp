#include "aws/sigv4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "core/hex.hpp"

namespace sluice::aws {
namespace {

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view k_terminator = "aws4_request";
constexpr char k_hex_upper[] = "0123456789ABCDEF";

signing_key_bytes hmac(std::string_view key, std::string_view data) {
  signing_key_bytes out{};
  unsigned int n = 0;
  // The one-shot HMAC() takes its digest as an EVP_MD; it allocates nothing we
  // keep and is safe to call from any thread.
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &n) ||
      n != out.size()) {
    throw std::runtime_error("HMAC-SHA-256 failed");
  }
  return out;
}

std::string_view as_view(const signing_key_bytes& k) {
  return {reinterpret_cast<const char*>(k.data()), k.size()};
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding of one query component as sent. A '%' not followed by two
// hex digits stays a literal '%' (and is then encoded as %25), and '+' stays
// '+': SigV4 reads the query as RFC 3986, where '+' is not a space, so a
// sender must write spaces as %20.
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// Headers a proxy or the HTTP stack may add, drop or rewrite on the way (hop
// by hop, or set per connection): signing them would make a valid request fail
// verification. The AWS SDKs leave the same set out (and proxy-*, sec-*).
bool unsignable(std::string_view lower_name) {
  static constexpr std::array<std::string_view, 15> names = {
      "authorization", "cache-control",     "connection", "expect",     "from",
      "keep-alive",    "max-forwards",      "pragma",     "referer",    "te",
      "trailer",       "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id"};
  if (lower_name.starts_with("proxy-") || lower_name.starts_with("sec-")) return true;
  return std::find(names.begin(), names.end(), lower_name) != names.end();
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return out;
}

// The canonical form of a header value: leading and trailing whitespace
// trimmed, every inner run of whitespace one space. CR and LF count as
// whitespace, so an obsolete folded (multi-line) value signs as one line.
void append_trimmed(std::string& out, std::string_view v) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  bool pending_space = false;
  bool any = false;
  for (char c : v) {
    if (space(c)) {
      pending_space = any;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    any = true;
    out.push_back(c);
  }
}

canonical_form canonical_request_with(const signable_request& req,
                                      const std::vector<std::pair<std::string, std::string>>* extra,
                                      std::string_view service, std::string_view payload_hash) {
  // Sorted by lower-cased name (byte order, as AWS compares); values of
  // repeated names joined with ',' in the order they are sent.
  std::map<std::string, std::string> headers;
  std::string host_value;
  append_trimmed(host_value, req.host);
  headers.emplace("host", std::move(host_value));
  auto add = [&](const std::string& name, const std::string& value) {
    std::string key = lower(name);
    if (key == "host" || unsignable(key)) return;
    auto [it, fresh] = headers.try_emplace(std::move(key));
    if (!fresh) it->second.push_back(',');
    append_trimmed(it->second, value);
  };
  for (const auto& [name, value] : req.headers) add(name, value);
  if (extra != nullptr) {
    for (const auto& [name, value] : *extra) add(name, value);
  }

  canonical_form out;
  std::string& r = out.request;
  r.reserve(256 + req.path.size() + req.query.size());
  r.append(req.method).push_back('\n');
  r.append(canonical_uri(req.path, service)).push_back('\n');
  r.append(canonical_query(req.query)).push_back('\n');
  for (const auto& [name, value] : headers) {
    r.append(name).push_back(':');
    r.append(value).push_back('\n');
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers.append(name);
  }
  r.push_back('\n');
  r.append(out.signed_headers).push_back('\n');
  r.append(payload_hash);
  return out;
}

std::string signature_of(const signable_request& req,
                         const std::vector<std::pair<std::string, std::string>>* extra,
                         const credentials& creds, std::string_view region,
                         std::string_view service, std::string_view date,
                         std::string_view payload_hash) {
  const canonical_form cr = canonical_request_with(req, extra, service, payload_hash);
  const std::string date8(date.substr(0, 8));
  const std::string scope = credential_scope(date8, region, service);
  const std::string sts = string_to_sign(date, scope, cr.request);
  const signing_key_bytes key = signing_key(creds.secret_access_key, date8, region, service);
  const signing_key_bytes sig = hmac(as_view(key), sts);
  std::string out;
  out.reserve(200);
  out.append(k_algorithm).append(" Credential=").append(creds.access_key_id).push_back('/');
  out.append(scope).append(", SignedHeaders=").append(cr.signed_headers);
  out.append(", Signature=").append(to_hex(sig.data(), sig.size()));
  return out;
}

// The derived-key cache. Keyed by the SHA-256 of the secret rather than the
// secret itself, so a rotated secret does not linger in a process-wide map.
// Bounded: it is cleared when full (entries are one per credentials × region ×
// service × day, so a handful in practice).
struct key_cache {
  std::mutex mutex;
  std::unordered_map<std::string, signing_key_bytes> keys;  // guarded by mutex
  std::size_t derived = 0;                                  // guarded by mutex
};
key_cache& cache() {
  static key_cache c;
  return c;
}
constexpr std::size_t k_cache_limit = 64;

}  // namespace

std::string amz_date(std::chrono::system_clock::time_point at) {
  const std::time_t t =
      std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(at));
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 17> buf{};
  std::strftime(buf.data(), buf.size(), "%Y%m%dT%H%M%SZ", &tm);
  return {buf.data(), 16};
}

std::string hex_sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &n, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return to_hex(md.data(), n);
}

std::string uri_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(k_hex_upper[c >> 4]);
      out.push_back(k_hex_upper[c & 0xf]);
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path, std::string_view service) {
  if (path.empty()) return "/";
  // S3 signs the path exactly as sent (encoded once, dots and doubled slashes
  // kept: they are part of an object key).
  if (service == "s3") return std::string(path);
  // Every other service: the path is normalised (RFC 3986 §5.2.4 dot segments,
  // and empty segments dropped as AWS's servers do), then each segment is
  // percent-encoded again. The path as sent is already encoded once, so a
  // space sent as %20 signs as %2520: the "encode twice" of AWS's spec.
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view seg = path.substr(start, slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = slash + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(uri_encode(segments[i]));
  }
  if (!segments.empty() && path.back() == '/') out.push_back('/');
  return out;
}

std::string canonical_query(std::string_view query) {
  if (query.empty()) return {};
  // Each name and value is decoded, then encoded with the RFC 3986 unreserved
  // set, so that however the sender escaped it ("*" or "%2a" or "%2A") it signs
  // the way the server will re-encode it. Pairs sort by encoded name, then by
  // encoded value (repeated names keep all their values).
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size()) {
    const std::size_t amp = std::min(query.find('&', start), query.size());
    const std::string_view item = query.substr(start, amp - start);
    if (!item.empty()) {
      const std::size_t eq = item.find('=');
      const std::string_view name = item.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
      pairs.emplace_back(uri_encode(percent_decode(name)), uri_encode(percent_decode(value)));
    }
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  out.reserve(query.size() + 16);
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out.append(name).push_back('=');
    out.append(value);
  }
  return out;
}

canonical_form canonical_request(const signable_request& req, std::string_view service,
                                 std::string_view payload_hash) {
  return canonical_request_with(req, nullptr, service, payload_hash);
}

std::string credential_scope(std::string_view date8, std::string_view region,
                             std::string_view service) {
  std::string out;
  out.append(date8).push_back('/');
  out.append(region).push_back('/');
  out.append(service).push_back('/');
  out.append(k_terminator);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out;
  out.append(k_algorithm).push_back('\n');
  out.append(amz_date).push_back('\n');
  out.append(scope).push_back('\n');
  out.append(hex_sha256(canonical_request));
  return out;
}

signing_key_bytes signing_key(std::string_view secret, std::string_view date8,
                              std::string_view region, std::string_view service) {
  std::string id = hex_sha256(secret);
  id.push_back('\n');
  id.append(date8).push_back('\n');
  id.append(region).push_back('\n');
  id.append(service);
  key_cache& c = cache();
  {
    const std::lock_guard lock(c.mutex);
    if (auto it = c.keys.find(id); it != c.keys.end()) return it->second;
  }
  std::string first = "AWS4";
  first.append(secret);
  signing_key_bytes k = hmac(first, date8);
  OPENSSL_cleanse(first.data(), first.size());
  k = hmac(as_view(k), region);
  k = hmac(as_view(k), service);
  k = hmac(as_view(k), k_terminator);
  const std::lock_guard lock(c.mutex);
  if (c.keys.size() >= k_cache_limit) c.keys.clear();
  c.keys.insert_or_assign(std::move(id), k);
  ++c.derived;
  return k;
}

std::size_t signing_keys_derived() {
  key_cache& c = cache();
  const std::lock_guard lock(c.mutex);
  return c.derived;
}

std::string authorization(const signable_request& req, const credentials& creds,
                          std::string_view region, std::string_view service,
                          std::chrono::system_clock::time_point at) {
  return signature_of(req, nullptr, creds, region, service, amz_date(at), hex_sha256(req.payload));
}

std::vector<std::pair<std::string, std::string>> sign_v4(const signable_request& req,
                                                         const credentials& creds,
                                                         std::string_view region,
                                                         std::string_view service,
                                                         std::chrono::system_clock::time_point at) {
  // The headers this function owns are dropped from the caller's set (a stale
  // X-Amz-Date or token must not be signed next to the fresh one); then the
  // new ones are signed with the rest.
  const bool owned_present = std::any_of(req.headers.begin(), req.headers.end(), [](const auto& h) {
    const std::string n = lower(h.first);
    return n == "x-amz-date" || n == "x-amz-content-sha256" || n == "x-amz-security-token" ||
           n == "date";
  });
  signable_request filtered;
  const signable_request* base = &req;
  if (owned_present) {
    filtered = req;
    std::erase_if(filtered.headers, [](const auto& h) {
      const std::string n = lower(h.first);
      return n == "x-amz-date" || n == "x-amz-content-sha256" || n == "x-amz-security-token" ||
             n == "date";
    });
    base = &filtered;
  }

  const std::string date = amz_date(at);
  // The payload hash is both signed (last line of the canonical request) and
  // sent as X-Amz-Content-Sha256, which S3 requires and other services accept.
  std::string payload_hash = hex_sha256(req.payload);
  std::vector<std::pair<std::string, std::string>> added;
  added.reserve(4);
  added.emplace_back("X-Amz-Date", date);
  added.emplace_back("X-Amz-Content-Sha256", payload_hash);
  // A session token is signed like any other header (the service checks it
  // belongs to the access key), not appended after signing.
  if (!creds.session_token.empty()) added.emplace_back("X-Amz-Security-Token", creds.session_token);
  std::string auth = signature_of(*base, &added, creds, region, service, date, payload_hash);
  added.insert(added.begin(), {"Authorization", std::move(auth)});
  return added;
}

}  // namespace sluice::aws
