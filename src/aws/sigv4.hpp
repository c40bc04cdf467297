#pragma once
// AWS Signature Version 4 (header signing, AWS4-HMAC-SHA256) for the SNS/SQS
// broker's HTTP client. Pure functions over a request as it will be sent; no
// I/O. SHA-256 and HMAC come from OpenSSL.
//
// The steps (canonical request → string to sign → signature with the derived
// key) are exposed one by one so that tests can hold each against AWS's
// published test-suite vectors; callers only need sign_v4().
//
// Thread safety: every function may be called from any thread at once (the
// signing-key cache is guarded by a mutex).

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::aws {

struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                                        // empty for long-lived keys
  std::optional<std::chrono::system_clock::time_point> expiration;  // nullopt: does not expire
};

struct signable_request {
  std::string method;  // "POST"
  std::string host;    // the Host header value as sent (with ":port" when not the default)
  std::string path;    // the absolute path as sent (already percent-encoded once), "/" for SNS/SQS
  std::string query;   // the raw query string as sent, without '?', may be empty
  // Other headers sent (content-type, x-amz-target, ...). A "host" entry here
  // is ignored (`host` above is the one signed); duplicates are joined with ','.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view payload;
};

// The headers to add to the request: Authorization, X-Amz-Date, X-Amz-Content-Sha256,
// and X-Amz-Security-Token when the credentials carry a session token.
// Any of those four (or Date) the caller put in req.headers is replaced, not signed twice.
std::vector<std::pair<std::string, std::string>> sign_v4(const signable_request& req,
                                                         const credentials& creds,
                                                         std::string_view region,
                                                         std::string_view service,
                                                         std::chrono::system_clock::time_point at);

// ---- The steps, for tests and for callers that build their own x-amz-* headers.

// "20150830T123600Z" (UTC, seconds).
std::string amz_date(std::chrono::system_clock::time_point at);
// Lower-case hex SHA-256 of `data`.
std::string hex_sha256(std::string_view data);
// The canonical URI of a path as sent: for every service but S3, dot segments
// and empty segments removed and each segment percent-encoded (again); S3 signs
// the path as sent.
std::string canonical_uri(std::string_view path, std::string_view service);
// The canonical query string of a raw query as sent.
std::string canonical_query(std::string_view query);
// RFC 3986 encoding: every byte outside A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex).
std::string uri_encode(std::string_view s);

struct canonical_form {
  std::string request;         // the canonical request
  std::string signed_headers;  // "content-type;host;x-amz-date"
};
// The canonical request of `req` exactly as given: the headers signed are
// `host` and req.headers (minus the ones proxies rewrite, see sigv4.cpp).
canonical_form canonical_request(const signable_request& req, std::string_view service,
                                 std::string_view payload_hash);
// "<region>/<service>/aws4_request" prefixed by the date: "20150830/us-east-1/sns/aws4_request".
std::string credential_scope(std::string_view date8, std::string_view region,
                             std::string_view service);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

using signing_key_bytes = std::array<unsigned char, 32>;
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date8), region), service), "aws4_request"),
// cached per (secret, date, region, service): it changes once a day, so the hot
// path does one HMAC per request instead of five.
signing_key_bytes signing_key(std::string_view secret, std::string_view date8,
                              std::string_view region, std::string_view service);
// The number of signing keys derived (not served from the cache) so far; for tests.
std::size_t signing_keys_derived();

// The Authorization value for `req` as given (its headers already carry
// X-Amz-Date and whatever else is to be signed), the payload hash computed here.
std::string authorization(const signable_request& req, const credentials& creds,
                          std::string_view region, std::string_view service,
                          std::chrono::system_clock::time_point at);

}  // namespace sluice::aws
