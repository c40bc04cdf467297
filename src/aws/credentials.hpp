#pragma once
// Where the SNS/SQS broker's AWS credentials come from: the standard AWS
// chain, in the order the AWS SDKs use —
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
//   2. the shared credentials file: AWS_SHARED_CREDENTIALS_FILE, else
//      ~/.aws/credentials; the profile AWS_PROFILE, else "default";
//   3. the ECS container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
//      (against 169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (loopback,
//      the ECS/EKS link-local addresses, or https only), with
//      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN
//      as its Authorization header;
//   4. EC2 instance metadata, IMDSv2 (a session token first), at
//      AWS_EC2_METADATA_SERVICE_ENDPOINT else http://169.254.169.254; off when
//      AWS_EC2_METADATA_DISABLED=true.
// The first link that has credentials is used from then on. Temporary
// credentials (3 and 4) are refreshed by a background thread before they
// expire. Secrets are never logged and never in an error message.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "aws/sigv4.hpp"
#include "core/result.hpp"

namespace sluice::aws {

enum class credentials_errc {
  not_found = 1,     // no link of the chain has credentials
  endpoint_failed,   // a credentials endpoint was unreachable, timed out or answered an error
  bad_response,      // an endpoint answered something that is not credentials
  refused_endpoint,  // AWS_CONTAINER_CREDENTIALS_FULL_URI names a host it may not (see above)
  bad_file,          // the shared credentials file is unreadable or the profile is incomplete
};
const std::error_category& credentials_category();
std::error_code make_error_code(credentials_errc e);

class credentials_source {
 public:
  virtual ~credentials_source() = default;
  // Thread-safe. The current credentials: cached, refreshed before they expire (5 minutes ahead,
  // by a background refresh, so callers normally never wait); blocks only when nothing valid is
  // cached. Blocking HTTP may happen here: never call it from an io thread unless a valid value
  // is known to be cached (the broker calls it once at start-up, off the io threads).
  virtual result<credentials> get() = 0;
  // Which link of the chain supplied them ("environment", "shared file (profile x)", "container
  // endpoint", "instance metadata"), never a secret; "none yet" before the first get() succeeded.
  virtual std::string describe() const = 0;
};

struct chain_options {
  // Environment lookup (default: getenv), so tests can inject one.
  std::function<std::optional<std::string>(const std::string& name)> env;
  // The home directory of ~/.aws/credentials; empty: $HOME (through `env`).
  std::string home;
  // Bound on each HTTP call to a credentials endpoint (resolve, connect, write, read).
  std::chrono::milliseconds http_timeout{std::chrono::seconds(1)};
  // Temporary credentials are refreshed this long before they expire.
  std::chrono::seconds refresh_margin{std::chrono::minutes(5)};
  // At least this long between two refreshes (credentials that expire within the margin would
  // otherwise be fetched in a loop); also the first retry delay after a failed refresh, doubled
  // up to a minute.
  std::chrono::milliseconds min_refresh_interval{std::chrono::seconds(10)};
  // get() treats credentials as expired this long before their Expiration, so that a request
  // signed with them still reaches AWS in time; it then waits for fresh ones.
  std::chrono::milliseconds expiry_skew{std::chrono::seconds(10)};
  // Now (default: system_clock::now).
  std::function<std::chrono::system_clock::time_point()> clock;
  // CAs (PEM) an https credentials endpoint's certificate must chain to; empty: the system
  // trust store (broker.aws_ca_file, for a private CA).
  std::string ca_file;
  // The host[:port] AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved against (tests change it).
  std::string container_host = "169.254.170.2";
};

std::unique_ptr<credentials_source> default_chain(chain_options options = {});

// ---- Parts, exposed for tests.

// The credentials of `profile` in the text of a shared credentials file (INI:
// [profile] sections, `key = value`, full-line comments starting with # or ;,
// keys case-insensitive). not_found when the profile is absent; bad_file when
// it lacks aws_access_key_id or aws_secret_access_key.
result<credentials> parse_shared_credentials(std::string_view text, std::string_view profile);
// ISO 8601 / RFC 3339 UTC time as the endpoints send it ("2026-12-02T12:00:00Z",
// fractions and a ±hh:mm offset accepted).
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s);
// The JSON of the container endpoint and of instance metadata.
result<credentials> parse_credentials_json(std::string_view body);

}  // namespace sluice::aws

template <>
struct std::is_error_code_enum<sluice::aws::credentials_errc> : std::true_type {};
