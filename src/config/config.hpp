#pragma once
// Sluice configuration: one TOML file, every key overridable from the
// environment as SLUICE_<SECTION>_<KEY> (e.g. SLUICE_HTTP_LISTEN).
// Resources (the record types Sluice accepts, stores and serves) are declared
// here; no code names a particular resource.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::config {

enum class field_type { string, email, integer, number, boolean, timestamp };

std::string_view to_string(field_type t);

struct field_def {
  std::string name;  // [a-z][a-z0-9_]*, not a reserved column name
  field_type type = field_type::string;
  bool required = false;
  std::optional<std::size_t> min_length;  // string/email, in Unicode code points
  std::optional<std::size_t> max_length;  // string/email, in Unicode code points
  std::optional<double> minimum;          // integer/number
  std::optional<double> maximum;          // integer/number
  bool indexed = false;                   // create an index for equality filters
};

// The most rows a GET page may have, whatever a resource's max_limit says:
// a page is built in memory (and cached) whole.
constexpr std::size_t k_page_limit_cap = 10'000;

struct resource_def {
  std::string name;  // [a-z][a-z0-9_]*; also the topic and the default table
  std::vector<field_def> fields;
  // GET /v1/{resource}'s `limit`: rows per page when absent, and the most a
  // client may ask for (more is a 400). 1 <= default_limit <= max_limit <=
  // k_page_limit_cap, checked at start-up; an unset default_limit is
  // min(100, max_limit).
  std::size_t default_limit = 100;
  std::size_t max_limit = 1000;

  // Returns nullptr when there is no such field.
  const field_def* find(std::string_view field) const;
};

// A queue on a resource's topic (SNS→SQS fan-out: each subscription gets every
// message) whose subscriber writes rows into `table`.
struct subscription_def {
  std::string name;      // unique across the config
  std::string resource;  // the topic is the resource name
  std::string table;     // defaults to the resource name
};

struct http_config {
  std::string listen = "0.0.0.0:8080";  // host:port
  unsigned threads = 0;                 // 0 = one per core
  std::size_t body_limit = 1024 * 1024;
  std::size_t header_limit = 8 * 1024;
  unsigned json_depth = 64;
  std::size_t max_batch = 1000;  // records in one POST
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  std::size_t query_limit = 4096;  // bytes of a target's query string (414 above)
  // Open client connections; 0 = sized from RLIMIT_NOFILE at start, leaving
  // file descriptors for store and broker connections.
  std::size_t max_connections = 0;
  unsigned max_wait_seconds = 30;  // upper bound for `Prefer: wait=N`
  // Requests waiting at once (`Prefer: wait`); past it a POST is answered 202
  // at once, so waits cannot starve the reads they share the store with.
  std::size_t max_waiters = 256;
  // CORS: "" = off; else comma-separated exact origins ("https://app.example")
  // and/or "*" (see api/cors.hpp).
  std::string cors_origins;
  // TLS on `listen` when tls_cert_file is set (tls_key_file then required).
  // Paths of PEM files, read at start and on SIGHUP; the key comes from its
  // file only, never from this configuration's text.
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA certificates: when set, clients must present a certificate signed
  // by one of them (its subject is on http::request::client_subject).
  std::string tls_client_ca_file;
  // host:port of a second, plain-HTTP listener serving only /healthz, /readyz
  // and /metrics (no TLS, no credentials: for probes and scrapers); "" = none.
  std::string ops_listen;
  // Proxies (load balancers, ingress) whose X-Forwarded-For is believed:
  // comma-separated CIDR blocks (a TOML array in the file), "" = none. Only
  // when the TCP peer is in one is the client the rightmost X-Forwarded-For
  // hop outside them (http/client_address.hpp); otherwise the peer.
  std::string trusted_proxies;
};

struct store_config {
  std::string url = "sqlite://data/sluice.db";
  // PostgreSQL: a streaming replica (or Aurora reader endpoint) that serves
  // GET pages once it has replayed the version the request needs (the
  // table's version, or the client's Sluice-Min-Version); "" = none.
  // Same password as url.
  std::string read_url;
  bool migrate_on_start = true;
  unsigned read_threads = 4;  // threads that run blocking store reads
  // PostgreSQL: a file holding the password (its first line). The password
  // never comes from this file's text: a store.url with one is refused.
  std::string password_file;
  unsigned pool_size = 8;  // connections (PostgreSQL), opened as needed
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};
  // Client-side deadline of every store call made for a request (GETs, status
  // lookups, version reads, /readyz's ping): past it the request gets 503 +
  // Retry-After while the call finishes in the background.
  std::chrono::milliseconds read_timeout{5000};
  // GET with Prefer: count=estimated counts exactly up to this many rows
  // (a count(*) bounded by LIMIT count_exact_max + 1); past it the
  // database's estimate is served instead (PostgREST's rule).
  std::size_t count_exact_max = 10'000;
};

struct broker_config {
  std::string url = "sqlite://data/queue.db";
  std::chrono::milliseconds visibility_timeout{30'000};
  unsigned max_deliveries = 5;
  std::size_t max_pending = 100'000;  // queued publishes before POST answers 503
  // How long a message id from an Idempotency-Key is remembered, from its publish
  // (a retry within it is recognised; the same key with another body is 409).
  std::chrono::milliseconds dedup_window{86'400'000};
  // Prefix of every broker-side name (stream, exchange, queue, consumer group),
  // so deployments can share a broker cluster. ("namespace" in the file.)
  std::string name_space = "sluice";
  // NATS: replicas of the streams (and the attempts bucket) Sluice creates.
  // An existing stream's replicas are raised to it, never lowered.
  unsigned replicas = 1;
  // Embedded queue: disk space kept in "<queue file>-reserve" so that a full
  // disk still lets the backlog drain; 0 disables it.
  std::size_t reserve_bytes = 32 * 1024 * 1024;
  // SNS+SQS (sns+sqs://REGION): one endpoint for both services instead of
  // AWS's (an emulator, a VPC endpoint); a CA file (PEM) that alone is
  // trusted for it; FIFO topics and queues; the record field whose value is
  // a FIFO message's MessageGroupId ("" = the resource: one ordered group).
  std::string aws_endpoint;
  std::string aws_ca_file;
  bool fifo = false;
  std::string message_group_field;
};

struct pipeline_config {
  std::size_t batch_size = 500;
  std::chrono::milliseconds poll_interval{50};  // idle wait when other processes publish
  std::chrono::milliseconds retry_min{100};     // backoff when the store fails
  std::chrono::milliseconds retry_max{10'000};
};

struct log_config {
  std::string level = "info";  // trace, debug, info, warn, error, off
  bool access_log = true;
};

// Service level objectives ([slo]). `sluice slo rules` turns them into
// Prometheus recording rules and burn-rate alerts. Latency objectives must be
// bounds of the request-duration histogram (observe/buckets.hpp), since the
// latency SLI reads the bucket at the threshold.
struct slo_config {
  unsigned latency_p50_ms = 100;  // half of the requests faster than this
  unsigned latency_p95_ms = 300;
  unsigned latency_p99_ms = 500;
  double error_rate = 0.01;  // share of 5xx answers; 4xx are the client's and count as success
  unsigned throughput_min_per_minute = 400;  // static band on requests/minute; 0 = no bound
  unsigned throughput_max_per_minute = 600;
  unsigned window_days = 30;      // the error budget's window
  std::string routes = "/v1/.+";  // regex (RE2, anchored) over the route label: what counts
  std::string job = "sluice";     // the Prometheus scrape job's name
};

struct cache_config {
  bool enabled = true;
  std::size_t max_bytes = 64 * 1024 * 1024;      // in-process pages, keys included
  std::chrono::milliseconds max_staleness{0};    // 0 = read-your-writes (see cache/version_clock.hpp)
  std::string control = "no-cache";              // Cache-Control on GET answers
  std::string url;                               // redis://… : a second level shared by replicas
  std::chrono::milliseconds shared_ttl{300'000};  // how long shared pages live (memory bound only)
};

// [auth] (issue 12): who may call which route. Secrets (the key pepper, JWT
// keys) are never in this text: only the names of the files that hold them,
// or the environment (SLUICE_AUTH_PEPPER).
enum class auth_mode { none, required };

// One [[auth.client_certs]] entry: a verified client certificate whose
// subject (RFC 2253, as `openssl x509 -noout -subject -nameopt RFC2253`
// prints it: "CN=ingest-1,O=Acme") or one of whose subject alternative names
// ("DNS:ingest-1.acme.example", "URI:spiffe://acme/ingest", "email:…",
// "IP:…") equals the entry's becomes the principal `name` with `scopes`.
struct client_cert_def {
  std::string subject;  // exactly one of subject and san is set
  std::string san;
  std::string name;  // the principal's id; defaults to the subject or SAN
  std::vector<std::string> scopes;
  std::optional<std::uint64_t> rate;  // records/s; nullopt = as for other principals
};

struct auth_config {
  // required: every route but /healthz and /readyz needs a credential with the
  // route's scope. none: no checks; refused at start on a non-loopback listen
  // unless allow_open (app/ checks both, since they are facts of the start).
  auth_mode mode = auth_mode::required;
  bool allow_open = false;
  std::string keys_file;     // API keys (JSON, `sluice keys`), reloaded when it changes
  std::string pepper_file;   // the HMAC pepper of keys_file, if SLUICE_AUTH_PEPPER is unset
  std::string jwks_file;     // JWT verification keys as a JWKS
  std::string jwt_pem_file;  // or as PEM
  std::string jwt_issuer;    // required `iss` when set
  std::string jwt_audience;  // required `aud` when set
  std::string jwt_scope_claim = "scope";  // "scope" (space-separated) or e.g. "scp" (array)
  unsigned jwt_leeway_s = 60;             // clock skew allowed on exp and nbf
  std::uint64_t default_rate = 0;         // records/s per principal; 0 = unlimited
  // Records/s per client address for requests without a principal: every
  // request in mode none, and in mode required every failed authentication
  // (401), so credential guessing is throttled. A GET or a 401 costs 1, a
  // POST its records, as for default_rate. 0 = unlimited.
  std::uint64_t anonymous_rate = 0;
  // Addresses whose buckets are kept at once (the least recently used is
  // dropped past it, and comes back full): memory stays bounded however
  // many addresses a client uses.
  std::size_t anonymous_max_addresses = 65536;
  // [auth.rates]: records/s for a principal on a route that needs a scope,
  // e.g. "publish:users" = 500, "read:*" = 2000, "*" = 100; 0 = unlimited.
  // Precedence: the key's (or certificate mapping's) own rate; else the most
  // specific entry covering the route's scope (exact, then "<action>:*",
  // then "*"); else default_rate. A principal has one bucket per entry it
  // is charged under.
  std::map<std::string, std::uint64_t> rates;
  // [[auth.client_certs]]: principals for verified client certificates
  // (http.tls_client_ca_file).
  std::vector<client_cert_def> client_certs;
};

struct config {
  std::filesystem::path source;  // the file it was loaded from
  http_config http;
  store_config store;
  broker_config broker;
  pipeline_config pipeline;
  log_config log;
  slo_config slo;
  cache_config cache;
  auth_config auth;
  std::vector<resource_def> resources;
  std::vector<subscription_def> subscriptions;  // never empty after load

  const resource_def* find_resource(std::string_view name) const;
};

// Thrown when a configuration cannot be used. what() names the file, the line
// (when known) and the key, e.g. "config/sluice.toml:12: http.threads: ...".
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Looks up an environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> process_env(const std::string& name);

// http.cors_origins split at commas, blanks around items dropped, empty items
// left out.
std::vector<std::string> cors_origin_list(std::string_view text);

// The effective configuration (every section and key, defaults filled in,
// environment overrides applied, [[resources]] and [[subscriptions]] as
// loaded) as TOML that load() reads back. Secrets never appear: URL values
// (keys `url`, `*_url`) go through `mask_url` (app/url_mask's mask_password),
// and any other key naming a password, secret, pepper or token prints "***";
// keys naming a file (`*_file`) print the path, never the file's contents.
std::string effective_toml(const config& cfg,
                           const std::function<std::string(std::string_view)>& mask_url);

// Loads and validates a configuration file, then applies SLUICE_* overrides.
// When no subscription is declared, each resource gets one named after it.
// Throws config_error.
config load(const std::filesystem::path& file, const env_lookup& env = process_env);

// Same, from TOML text (tests); `source` names it in error messages.
config parse(std::string_view toml_text, const std::string& source,
             const env_lookup& env = process_env);

}  // namespace sluice::config
