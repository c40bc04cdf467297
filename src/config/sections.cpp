// The scalar sections ([http], [store], [broker], [pipeline], [log], [slo],
// [cache], [auth]) as tables of settings, so the TOML reader and the
// environment overrides share one list of keys and one set of range checks.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>

#include "config/reader.hpp"
#include "net/address.hpp"

namespace sluice::config::detail {
namespace {

constexpr std::int64_t k_no_limit = std::numeric_limits<std::int64_t>::max();
// Durations are capped at a day: larger values are mistakes, and the cap keeps
// deadline arithmetic (now + duration) far from overflow.
constexpr std::int64_t k_max_ms = 86'400'000;

std::string range_message(std::int64_t min, std::int64_t max) {
  if (max == k_no_limit) return "must be at least " + std::to_string(min);
  return "must be between " + std::to_string(min) + " and " + std::to_string(max);
}

template <class T>
setting integer(std::string key, T& target, std::int64_t min, std::int64_t max) {
  // Never let a value through that the target type cannot hold.
  std::int64_t type_max = k_no_limit;
  if constexpr (static_cast<std::uint64_t>(std::numeric_limits<T>::max()) <
                static_cast<std::uint64_t>(k_no_limit)) {
    type_max = static_cast<std::int64_t>(std::numeric_limits<T>::max());
  }
  return {std::move(key), scalar_kind::integer, "a non-negative integer",
          [&target, min, max, type_max](const scalar& v) -> std::optional<std::string> {
            auto n = std::get<std::int64_t>(v);
            if (n < min || n > max) return range_message(min, max);
            if (n > type_max) return "must be at most " + std::to_string(type_max);
            target = static_cast<T>(n);
            return std::nullopt;
          },
          [&target] { return scalar{static_cast<std::int64_t>(target)}; }};
}

setting millis(std::string key, std::chrono::milliseconds& target, std::int64_t min) {
  return {std::move(key), scalar_kind::integer, "a non-negative integer (milliseconds)",
          [&target, min](const scalar& v) -> std::optional<std::string> {
            auto n = std::get<std::int64_t>(v);
            if (n < min || n > k_max_ms) return range_message(min, k_max_ms);
            target = std::chrono::milliseconds(n);
            return std::nullopt;
          },
          [&target] { return scalar{static_cast<std::int64_t>(target.count())}; }};
}

// A fraction strictly between 0 and 1 (error-rate objectives).
setting fraction(std::string key, double& target) {
  return {std::move(key), scalar_kind::number, "a number",
          [&target](const scalar& v) -> std::optional<std::string> {
            auto x = std::get<double>(v);
            if (!(x > 0 && x < 1)) return "must be greater than 0 and less than 1";
            target = x;
            return std::nullopt;
          },
          [&target] { return scalar{target}; }};
}

setting boolean(std::string key, bool& target) {
  return {std::move(key), scalar_kind::boolean, "a boolean (true or false)",
          [&target](const scalar& v) -> std::optional<std::string> {
            target = std::get<bool>(v);
            return std::nullopt;
          },
          [&target] { return scalar{target}; }};
}

using text_check = std::optional<std::string> (*)(const std::string&);

setting text(std::string key, std::string& target, text_check check) {
  return {std::move(key), scalar_kind::string, "a string",
          [&target, check](const scalar& v) -> std::optional<std::string> {
            const auto& s = std::get<std::string>(v);
            if (auto why = check(s)) return why;
            target = s;
            return std::nullopt;
          },
          [&target] { return scalar{target}; }};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// host:port, host a name, an IPv4 address or a bracketed IPv6 address; port
// 0..65535 (0 = any free port, which tests use).
std::optional<std::string> check_listen(const std::string& s) {
  const std::string why = "must be host:port, e.g. 0.0.0.0:8080 or [::1]:8080";
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return why;
  std::string_view host(s.data(), colon);
  std::string_view port(s.data() + colon + 1, s.size() - colon - 1);
  if (port.empty() || port.size() > 5) return why;
  unsigned long p = 0;
  for (char c : port) {
    if (!is_digit(c)) return why;
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p > 65535) return "port must be between 0 and 65535";
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return why;
    for (char c : host.substr(1, host.size() - 2)) {
      bool ok =
          is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) return why;
    }
    return std::nullopt;
  }
  for (char c : host) {
    bool ok =
        is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
    if (!ok) return why;
  }
  return std::nullopt;
}

// scheme://rest; which schemes are supported is decided where backends are
// chosen (app/), not here.
std::optional<std::string> check_url(const std::string& s) {
  const std::string why = "must be a URL such as sqlite://data/sluice.db";
  auto sep = s.find("://");
  if (sep == std::string::npos || sep == 0 || sep + 3 == s.size()) return why;
  if (s[0] < 'a' || s[0] > 'z') return why;
  for (char c : std::string_view(s).substr(0, sep)) {
    bool ok = (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '.' || c == '-';
    if (!ok) return why;
  }
  return std::nullopt;
}

std::optional<std::string> check_any(const std::string&) { return std::nullopt; }

// Prefixes broker-side names (streams, queues, consumer groups) so that
// several deployments, or tests, can share one broker cluster.
std::optional<std::string> check_namespace(const std::string& s) {
  if (s.empty() || s.size() > 64) return "must be 1 to 64 characters of [a-z0-9_-]";
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-')) {
      return "must be 1 to 64 characters of [a-z0-9_-]";
    }
  }
  return std::nullopt;
}

// Both end up inside double-quoted PromQL strings in generated YAML, so
// quotes, backslashes and line breaks are refused rather than escaped.
std::optional<std::string> check_label_regex(const std::string& s) {
  if (s.empty() || s.find_first_of("\"\\\n\r") != std::string::npos) {
    return "must be a non-empty regular expression without quotes, backslashes or line breaks";
  }
  return std::nullopt;
}

std::optional<std::string> check_job(const std::string& s) {
  if (s.empty() || s.size() > 64) return "must be 1 to 64 characters of [A-Za-z0-9_.:-]";
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
              c == '.' || c == ':' || c == '-';
    if (!ok) return "must be 1 to 64 characters of [A-Za-z0-9_.:-]";
  }
  return std::nullopt;
}

std::optional<std::string> check_optional_listen(const std::string& s) {
  return s.empty() ? std::nullopt : check_listen(s);
}

// A path, never the PEM text itself (a key pasted into the config would be a
// secret in the config text); whether the file exists is checked once the
// environment overrides are applied.
std::optional<std::string> check_pem_path(const std::string& s) {
  if (s.find("-----BEGIN") != std::string::npos || s.find('\n') != std::string::npos) {
    return "must be the path of a PEM file, not its contents";
  }
  return std::nullopt;
}

std::optional<std::string> check_optional_url(const std::string& s) {
  return s.empty() ? std::nullopt : check_url(s);
}

// broker.aws_endpoint: "" or http(s)://host[:port] without a path.
std::optional<std::string> check_aws_endpoint(const std::string& s) {
  if (s.empty()) return std::nullopt;
  const char* why = "must be http://HOST[:PORT] or https://HOST[:PORT] without a path";
  std::string_view rest = s;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return why;
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) return why;
  return std::nullopt;
}

// broker.message_group_field: "" or a field name.
std::optional<std::string> check_optional_field(const std::string& s) {
  if (s.empty()) return std::nullopt;
  bool ok = s.size() <= 63 && s[0] >= 'a' && s[0] <= 'z';
  for (char c : s) ok = ok && ((c >= 'a' && c <= 'z') || is_digit(c) || c == '_');
  return ok ? std::nullopt : std::optional<std::string>("must be empty or match [a-z][a-z0-9_]{0,62}");
}

// Goes into an HTTP header as it is.
std::optional<std::string> check_header_value(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "must be printable text";
  }
  return std::nullopt;
}

// http.cors_origins: "" (CORS off), or a comma-separated list of exact
// origins (scheme://host[:port], lower case, no path) and/or "*".
std::optional<std::string> check_cors_origins(const std::string& s) {
  const std::string why =
      "must be a comma-separated list of origins such as https://app.example.com:8443, or *";
  if (s.find_first_not_of(" ,") == std::string::npos) {
    return s.empty() ? std::nullopt : std::optional<std::string>(why);
  }
  auto list = cors_origin_list(s);
  for (const auto& o : list) {
    if (o == "*") continue;
    std::string_view rest;
    if (o.starts_with("https://")) {
      rest = std::string_view(o).substr(8);
    } else if (o.starts_with("http://")) {
      rest = std::string_view(o).substr(7);
    } else {
      return std::string(why).append(" (\"").append(o).append("\" has no http:// or https://)");
    }
    if (rest.empty()) return why;
    for (char c : rest) {
      bool ok = (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '-' || c == ':' ||
                c == '[' || c == ']';
      if (!ok) {
        return std::string(why).append(" (\"").append(o).append(
            "\": lower-case host and port only, no path)");
      }
    }
  }
  // Every item must be non-empty: "a,,b" is a typo, not two origins.
  std::size_t items = 1 + static_cast<std::size_t>(std::count(s.begin(), s.end(), ','));
  if (list.size() != items) return why;
  return std::nullopt;
}

// http.trusted_proxies: CIDR blocks (net/address.hpp), "" = none.
std::optional<std::string> check_cidr_list(const std::string& s) {
  std::string why;
  if (net::parse_cidr_list(s, &why)) return std::nullopt;
  return "must be a list of CIDR blocks such as \"10.0.0.0/8\" or \"fd00::/8\": " + why;
}

// A list setting: given as a TOML array of strings or a comma-separated string.
// Either reaches apply as one string (scalar_from_toml joins an array), so
// it is a text setting that reads and describes itself as a list.
setting list(std::string key, std::string& target, text_check check) {
  setting s = text(std::move(key), target, check);
  s.kind = scalar_kind::list;
  s.expected = "an array of strings";
  return s;
}

std::optional<std::string> check_level(const std::string& s) {
  for (const char* l : {"trace", "debug", "info", "warn", "error", "off"}) {
    if (s == l) return std::nullopt;
  }
  return "must be one of trace, debug, info, warn, error, off";
}

std::optional<std::string> check_scope_claim(const std::string& s) {
  if (s.empty() || s.size() > 64) return "must be 1 to 64 characters of [A-Za-z0-9_.:-]";
  return check_job(s);
}

setting auth_mode_of(std::string key, auth_mode& target) {
  return {std::move(key), scalar_kind::string, "a string (\"none\" or \"required\")",
          [&target](const scalar& v) -> std::optional<std::string> {
            const auto& s = std::get<std::string>(v);
            if (s == "none") {
              target = auth_mode::none;
            } else if (s == "required") {
              target = auth_mode::required;
            } else {
              return "must be \"none\" or \"required\"";
            }
            return std::nullopt;
          },
          [&target] { return scalar{std::string(target == auth_mode::none ? "none" : "required")}; }};
}

}  // namespace

std::vector<section> sections_of(config& cfg) {
  std::vector<section> out;
  auto& h = cfg.http;
  out.push_back(
      {"http",
       {text("listen", h.listen, check_listen), integer("threads", h.threads, 0, 256),
        integer("body_limit", h.body_limit, 1, k_no_limit),
        integer("header_limit", h.header_limit, 1, k_no_limit),
        integer("json_depth", h.json_depth, 1, 1000),
        integer("max_batch", h.max_batch, 1, k_no_limit),
        millis("read_timeout_ms", h.read_timeout, 1), millis("idle_timeout_ms", h.idle_timeout, 1),
        millis("shutdown_grace_ms", h.shutdown_grace, 0),
        integer("query_limit", h.query_limit, 1, k_no_limit),
        integer("max_connections", h.max_connections, 0, k_no_limit),
        integer("max_wait_seconds", h.max_wait_seconds, 0, 3600),
        integer("max_waiters", h.max_waiters, 0, k_no_limit),
        text("cors_origins", h.cors_origins, check_cors_origins),
        text("tls_cert_file", h.tls_cert_file, check_pem_path),
        text("tls_key_file", h.tls_key_file, check_pem_path),
        text("tls_client_ca_file", h.tls_client_ca_file, check_pem_path),
        text("ops_listen", h.ops_listen, check_optional_listen),
        list("trusted_proxies", h.trusted_proxies, check_cidr_list)}});
  auto& s = cfg.store;
  out.push_back({"store",
                 {text("url", s.url, check_url), text("read_url", s.read_url, check_optional_url),
                  boolean("migrate_on_start", s.migrate_on_start),
                  integer("read_threads", s.read_threads, 1, 256),
                  text("password_file", s.password_file, check_any),
                  integer("pool_size", s.pool_size, 1, 1000),
                  millis("connect_timeout_ms", s.connect_timeout, 1),
                  millis("statement_timeout_ms", s.statement_timeout, 1),
                  millis("read_timeout_ms", s.read_timeout, 1),
                  integer("count_exact_max", s.count_exact_max, 0, 100'000'000)}});
  auto& b = cfg.broker;
  out.push_back(
      {"broker",
       {text("url", b.url, check_url), millis("visibility_timeout_ms", b.visibility_timeout, 1),
        integer("max_deliveries", b.max_deliveries, 1, k_no_limit),
        integer("max_pending", b.max_pending, 1, k_no_limit),
        millis("dedup_window_ms", b.dedup_window, 1),
        text("namespace", b.name_space, check_namespace),
        integer("replicas", b.replicas, 1, 5),
        integer("reserve_bytes", b.reserve_bytes, 0, k_no_limit),
        text("aws_endpoint", b.aws_endpoint, check_aws_endpoint),
        text("aws_ca_file", b.aws_ca_file, check_pem_path), boolean("fifo", b.fifo),
        text("message_group_field", b.message_group_field, check_optional_field)}});
  auto& p = cfg.pipeline;
  out.push_back({"pipeline",
                 {integer("batch_size", p.batch_size, 1, 10'000),
                  millis("poll_interval_ms", p.poll_interval, 1),
                  millis("retry_min_ms", p.retry_min, 1), millis("retry_max_ms", p.retry_max, 1)}});
  auto& l = cfg.log;
  out.push_back(
      {"log", {text("level", l.level, check_level), boolean("access_log", l.access_log)}});
  auto& o = cfg.slo;
  out.push_back({"slo",
                 {integer("latency_p50_ms", o.latency_p50_ms, 1, 60'000),
                  integer("latency_p95_ms", o.latency_p95_ms, 1, 60'000),
                  integer("latency_p99_ms", o.latency_p99_ms, 1, 60'000),
                  fraction("error_rate", o.error_rate),
                  integer("throughput_min_per_minute", o.throughput_min_per_minute, 0, k_no_limit),
                  integer("throughput_max_per_minute", o.throughput_max_per_minute, 0, k_no_limit),
                  integer("window_days", o.window_days, 1, 366),
                  text("routes", o.routes, check_label_regex), text("job", o.job, check_job)}});
  auto& c = cfg.cache;
  out.push_back({"cache",
                 {boolean("enabled", c.enabled), integer("max_bytes", c.max_bytes, 0, k_no_limit),
                  millis("max_staleness_ms", c.max_staleness, 0),
                  text("control", c.control, check_header_value),
                  text("url", c.url, check_optional_url),
                  millis("shared_ttl_ms", c.shared_ttl, 1)}});
  auto& a = cfg.auth;
  out.push_back({"auth",
                 {auth_mode_of("mode", a.mode), boolean("allow_open", a.allow_open),
                  text("keys_file", a.keys_file, check_any),
                  text("pepper_file", a.pepper_file, check_any),
                  text("jwks_file", a.jwks_file, check_any),
                  text("jwt_pem_file", a.jwt_pem_file, check_any),
                  text("jwt_issuer", a.jwt_issuer, check_header_value),
                  text("jwt_audience", a.jwt_audience, check_header_value),
                  text("jwt_scope_claim", a.jwt_scope_claim, check_scope_claim),
                  integer("jwt_leeway_s", a.jwt_leeway_s, 0, 3600),
                  integer("default_rate", a.default_rate, 0, 1'000'000'000),
                  integer("anonymous_rate", a.anonymous_rate, 0, 1'000'000'000),
                  integer("anonymous_max_addresses", a.anonymous_max_addresses, 16, 100'000'000)}});
  return out;
}

namespace {

// TLS files: a certificate needs its key and the other way round, a client CA
// needs TLS, and each named file must be there (its contents are parsed when
// the listener loads them at start, with an error naming the key too).
void check_tls(const context& ctx, const http_config& h) {
  if (!h.tls_cert_file.empty() && h.tls_key_file.empty()) {
    fail(ctx, 0, "http.tls_key_file", "required when http.tls_cert_file is set");
  }
  if (h.tls_cert_file.empty() && !h.tls_key_file.empty()) {
    fail(ctx, 0, "http.tls_cert_file", "required when http.tls_key_file is set");
  }
  if (h.tls_cert_file.empty() && !h.tls_client_ca_file.empty()) {
    fail(ctx, 0, "http.tls_client_ca_file",
         "needs TLS: set http.tls_cert_file and http.tls_key_file");
  }
  const std::pair<const char*, const std::string*> files[] = {
      {"http.tls_cert_file", &h.tls_cert_file},
      {"http.tls_key_file", &h.tls_key_file},
      {"http.tls_client_ca_file", &h.tls_client_ca_file}};
  for (const auto& [key, path] : files) {
    std::error_code ec;
    if (!path->empty() && !std::filesystem::is_regular_file(*path, ec)) {
      fail(ctx, 0, key, "no such file: " + *path);
    }
  }
  if (!h.ops_listen.empty() && h.ops_listen == h.listen && !h.listen.ends_with(":0")) {
    fail(ctx, 0, "http.ops_listen", "must differ from http.listen");
  }
}

}  // namespace

void check_cross_settings(const context& ctx, const config& cfg) {
  check_tls(ctx, cfg.http);
  // A POST of http.max_batch records is one publish call; a broker queue that
  // can never hold it would answer 503 to a request the API accepts.
  if (cfg.broker.max_pending < cfg.http.max_batch) {
    fail(ctx, 0, "broker.max_pending", "must be at least http.max_batch");
  }
  if (cfg.broker.url.starts_with("sns+sqs://")) {
    // SQS's VisibilityTimeout is whole seconds up to 12 hours.
    if (cfg.broker.visibility_timeout > std::chrono::hours(12)) {
      fail(ctx, 0, "broker.visibility_timeout_ms", "must be at most 43200000 (12 h) on SQS");
    }
    std::error_code ec;
    if (!cfg.broker.aws_ca_file.empty() && !std::filesystem::is_regular_file(cfg.broker.aws_ca_file, ec)) {
      fail(ctx, 0, "broker.aws_ca_file", "no such file: " + cfg.broker.aws_ca_file);
    }
    if (cfg.broker.aws_endpoint.starts_with("http://") && !cfg.broker.aws_ca_file.empty()) {
      fail(ctx, 0, "broker.aws_ca_file", "needs an https:// broker.aws_endpoint");
    }
  } else if (!cfg.broker.message_group_field.empty() || cfg.broker.fifo) {
    fail(ctx, 0, cfg.broker.fifo ? "broker.fifo" : "broker.message_group_field",
         "only applies to an sns+sqs:// broker.url");
  }
  if (!cfg.broker.message_group_field.empty() && !cfg.broker.fifo) {
    fail(ctx, 0, "broker.message_group_field", "needs broker.fifo = true");
  }
  if (cfg.pipeline.retry_min > cfg.pipeline.retry_max) {
    fail(ctx, 0, "pipeline.retry_min_ms", "must not exceed pipeline.retry_max_ms");
  }
  const auto& o = cfg.slo;
  if (o.latency_p50_ms > o.latency_p95_ms || o.latency_p95_ms > o.latency_p99_ms) {
    fail(ctx, 0, "slo.latency_p50_ms",
         "latency objectives must not decrease: p50 <= p95 <= p99");
  }
  if (o.throughput_max_per_minute != 0 &&
      o.throughput_min_per_minute > o.throughput_max_per_minute) {
    fail(ctx, 0, "slo.throughput_min_per_minute",
         "must not exceed slo.throughput_max_per_minute (0 = no upper bound)");
  }
}

}  // namespace sluice::config::detail
