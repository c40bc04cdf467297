#include "aws/credentials.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "aws/metadata_http.hpp"
#include "core/error_category.hpp"
#include "observe/log.hpp"

namespace sluice::aws {
namespace {

using clock_type = std::chrono::system_clock;

const char* describe_errc(credentials_errc e) {
  switch (e) {
    case credentials_errc::not_found:
      return "no AWS credentials found";
    case credentials_errc::endpoint_failed:
      return "AWS credentials endpoint failed";
    case credentials_errc::bad_response:
      return "AWS credentials endpoint answered no credentials";
    case credentials_errc::refused_endpoint:
      return "AWS credentials endpoint refused";
    case credentials_errc::bad_file:
      return "AWS shared credentials file unusable";
  }
  return "AWS credentials error";
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

// A header value we send must not carry CR or LF (it would split the request).
bool header_safe(std::string_view v) {
  return v.find_first_of("\r\n") == std::string_view::npos;
}

struct environment {
  std::function<std::optional<std::string>(const std::string&)> lookup;
  // Unset and empty are the same to every link (as in the SDKs).
  std::string get(const std::string& name) const {
    auto v = lookup(name);
    return v ? *v : std::string();
  }
};

// One link of the chain. fetch() answers not_found when the link is not
// configured here (the chain moves on), else the credentials or why not.
class chain_link {
 public:
  virtual ~chain_link() = default;
  virtual result<credentials> fetch() = 0;
  virtual std::string describe() const = 0;
};

class env_link final : public chain_link {
 public:
  explicit env_link(environment env) : env_(std::move(env)) {}
  result<credentials> fetch() override {
    credentials c;
    c.access_key_id = env_.get("AWS_ACCESS_KEY_ID");
    c.secret_access_key = env_.get("AWS_SECRET_ACCESS_KEY");
    c.session_token = env_.get("AWS_SESSION_TOKEN");
    if (c.access_key_id.empty() && c.secret_access_key.empty()) {
      return credentials_errc::not_found;
    }
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
      return {credentials_errc::not_found,
              c.access_key_id.empty() ? "AWS_SECRET_ACCESS_KEY is set without AWS_ACCESS_KEY_ID"
                                      : "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY"};
    }
    return c;
  }
  std::string describe() const override { return "environment"; }

 private:
  environment env_;
};

class file_link final : public chain_link {
 public:
  file_link(environment env, std::string home) : env_(std::move(env)), home_(std::move(home)) {
    profile_ = env_.get("AWS_PROFILE");
    if (profile_.empty()) profile_ = "default";
  }
  result<credentials> fetch() override {
    std::string path = env_.get("AWS_SHARED_CREDENTIALS_FILE");
    const std::string home = home_.empty() ? env_.get("HOME") : home_;
    if (path.empty()) {
      if (home.empty()) return {credentials_errc::not_found, "no home directory for ~/.aws"};
      path = home + "/.aws/credentials";
    } else if (path.starts_with("~/") && !home.empty()) {
      path = home + path.substr(1);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return {credentials_errc::not_found, "no shared credentials file at " + path};
    std::stringstream text;
    text << in.rdbuf();
    std::string contents = text.str();
    auto r = parse_shared_credentials(contents, profile_);
    OPENSSL_cleanse(contents.data(), contents.size());
    if (!r) return {r.error(), r.why().detail + " in " + path};
    return r;
  }
  std::string describe() const override { return "shared file (profile " + profile_ + ")"; }

 private:
  environment env_;
  std::string home_;
  std::string profile_;
};

// Shared by the container and instance-metadata links: the JSON they answer.
result<credentials> credentials_from(const metadata_reply& reply, std::string_view what) {
  if (reply.status != 200) {
    // The status only: an error body may echo anything.
    return {credentials_errc::endpoint_failed,
            std::string(what) + " answered HTTP " + std::to_string(reply.status)};
  }
  auto r = parse_credentials_json(reply.body);
  if (!r) return {r.error(), std::string(what) + ": " + r.why().detail};
  return r;
}

class container_link final : public chain_link {
 public:
  container_link(environment env, std::string container_host, std::chrono::milliseconds timeout,
                 std::string ca_file)
      : env_(std::move(env)),
        container_host_(std::move(container_host)),
        timeout_(timeout),
        ca_file_(std::move(ca_file)) {}

  result<credentials> fetch() override {
    const std::string relative = env_.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const std::string full = env_.get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (relative.empty() && full.empty()) return credentials_errc::not_found;
    // The relative form wins when both are set, as in the SDKs.
    auto url = relative.empty()
                   ? parse_metadata_url(full)
                   : parse_metadata_url("http://" + container_host_ +
                                        (relative.starts_with('/') ? "" : "/") + relative);
    if (!url) return url.why();
    if (relative.empty() && !url->tls && !allowed_plain_host(*url)) {
      // A full URI may point anywhere, and the request carries an
      // authorization token: over plain HTTP only to this host or the
      // container agents' link-local addresses, as the AWS SDKs require.
      return {credentials_errc::refused_endpoint,
              "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https or a loopback host (" +
                  url->host_header + " is neither)"};
    }
    std::vector<std::pair<std::string, std::string>> headers;
    auto token = authorization_token();
    if (!token) return token.why();
    if (!token->empty()) headers.emplace_back("Authorization", std::move(*token));
    auto reply = metadata_call("container endpoint", *url, "GET", headers, timeout_, ca_file_);
    if (!headers.empty()) OPENSSL_cleanse(headers[0].second.data(), headers[0].second.size());
    if (!reply) return reply.why();
    return credentials_from(*reply, "container endpoint");
  }
  std::string describe() const override { return "container endpoint"; }

 private:
  static bool allowed_plain_host(const metadata_url& u) {
    // ECS's agent (169.254.170.2), EKS Pod Identity's (169.254.170.23, fd00:ec2::23).
    return u.loopback || u.host == "169.254.170.2" || u.host == "169.254.170.23" ||
           u.host == "fd00:ec2::23";
  }

  // The token file wins over the variable (EKS rotates the file: read each time).
  result<std::string> authorization_token() const {
    const std::string file = env_.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    std::string token;
    if (!file.empty()) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        return {credentials_errc::endpoint_failed,
                "container endpoint: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + file};
      }
      std::stringstream text;
      text << in.rdbuf();
      token = std::string(trim(text.str()));
    } else {
      token = env_.get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    if (!header_safe(token)) {
      return {credentials_errc::endpoint_failed,
              "container endpoint: the authorization token contains a line break"};
    }
    return token;
  }

  environment env_;
  std::string container_host_;
  std::chrono::milliseconds timeout_;
  std::string ca_file_;
};

class imds_link final : public chain_link {
 public:
  imds_link(environment env, std::chrono::milliseconds timeout)
      : env_(std::move(env)), timeout_(timeout) {}

  result<credentials> fetch() override {
    if (lower(trim(env_.get("AWS_EC2_METADATA_DISABLED"))) == "true") {
      return credentials_errc::not_found;
    }
    std::string endpoint = env_.get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (endpoint.empty()) {
      endpoint = lower(env_.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) == "ipv6"
                     ? "http://[fd00:ec2::254]"
                     : "http://169.254.169.254";
    }
    while (endpoint.ends_with('/')) endpoint.pop_back();
    constexpr std::string_view what = "instance metadata";

    // IMDSv2: a session token (PUT, with its lifetime), then the role, then
    // the role's credentials, each GET carrying the token.
    auto token_url = parse_metadata_url(endpoint + "/latest/api/token");
    if (!token_url) return token_url.why();
    auto token = metadata_call(what, *token_url, "PUT",
                               {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, timeout_);
    if (!token) {
      // Unreachable before we ever got credentials from it: not on EC2.
      return fetched_once_
                 ? token.why()
                 : failure{make_error_code(credentials_errc::not_found), token.why().detail};
    }
    if (token->status != 200 || token->body.empty() || !header_safe(token->body)) {
      return {credentials_errc::endpoint_failed,
              "instance metadata token request answered HTTP " + std::to_string(token->status)};
    }
    const std::vector<std::pair<std::string, std::string>> auth = {
        {"X-aws-ec2-metadata-token", token->body}};
    const std::string base = endpoint + "/latest/meta-data/iam/security-credentials/";
    auto roles_url = parse_metadata_url(base);
    if (!roles_url) return roles_url.why();
    auto roles = metadata_call(what, *roles_url, "GET", auth, timeout_);
    if (!roles) return roles.why();
    if (roles->status == 404) {
      return {credentials_errc::not_found, "instance metadata: no IAM role attached"};
    }
    if (roles->status != 200) {
      return {credentials_errc::endpoint_failed,
              "instance metadata role list answered HTTP " + std::to_string(roles->status)};
    }
    const std::string role(trim(std::string_view(roles->body).substr(0, roles->body.find('\n'))));
    if (role.empty() || role.find_first_of("/?#% ") != std::string::npos) {
      return {credentials_errc::bad_response, "instance metadata: no usable role name"};
    }
    auto creds_url = parse_metadata_url(base + role);
    if (!creds_url) return creds_url.why();
    auto reply = metadata_call(what, *creds_url, "GET", auth, timeout_);
    if (!reply) return reply.why();
    auto r = credentials_from(*reply, what);
    if (r) fetched_once_ = true;
    return r;
  }
  std::string describe() const override { return "instance metadata"; }

 private:
  environment env_;
  std::chrono::milliseconds timeout_;
  bool fetched_once_ = false;  // only touched under the chain's fetch mutex
};

// The chain, its cache and the refresh thread.
//
// Locking: fetch_mutex_ serialises fetches (a caller with nothing valid and
// the refresh thread never fetch at once); state_mutex_ guards the cached
// value, the chosen link and the thread's stop flag. fetch_mutex_ is taken
// before state_mutex_, never the other way round, and no HTTP happens under
// state_mutex_.
class chain_source final : public credentials_source {
 public:
  chain_source(chain_options o, std::vector<std::unique_ptr<chain_link>> links)
      : options_(std::move(o)), links_(std::move(links)) {}

  ~chain_source() override {
    {
      const std::lock_guard lock(state_mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (refresher_.joinable()) refresher_.join();
  }
  chain_source(const chain_source&) = delete;
  chain_source& operator=(const chain_source&) = delete;

  result<credentials> get() override {
    {
      const std::lock_guard lock(state_mutex_);
      if (cached_ && usable(*cached_)) return *cached_;
    }
    const std::lock_guard fetching(fetch_mutex_);
    {
      const std::lock_guard lock(state_mutex_);
      if (cached_ && usable(*cached_)) return *cached_;  // another caller just fetched
    }
    auto r = chosen_ == nullptr ? resolve() : chosen_->fetch();
    if (!r) return r;
    const std::lock_guard lock(state_mutex_);
    cached_ = *r;
    if (r->expiration && !refresher_.joinable() && !stop_) {
      refresher_ = std::thread([this] { refresh_loop(); });
    }
    wake_.notify_all();
    return r;
  }

  std::string describe() const override {
    const std::lock_guard lock(state_mutex_);
    return chosen_name_.empty() ? std::string("none yet") : chosen_name_;
  }

 private:
  clock_type::time_point now() const {
    return options_.clock ? options_.clock() : clock_type::now();
  }

  bool usable(const credentials& c) const {
    return !c.expiration || now() + options_.expiry_skew < *c.expiration;
  }

  // REQUIRES: fetch_mutex_ held. The first link with credentials becomes the
  // chain's source for good. When none has, the answer is the first link that
  // was configured but failed, else not_found naming every link.
  result<credentials> resolve() {
    std::optional<failure> first_failure;
    std::string tried;
    for (auto& l : links_) {
      auto r = l->fetch();
      if (r) {
        chosen_ = l.get();
        {
          const std::lock_guard lock(state_mutex_);
          chosen_name_ = l->describe();
        }
        observe::info("aws credentials",
                      {{"source", l->describe()}, {"temporary", r->expiration.has_value()}});
        return r;
      }
      if (r.error() != credentials_errc::not_found && !first_failure) first_failure = r.why();
      if (!tried.empty()) tried += "; ";
      tried += l->describe();
      if (!r.why().detail.empty()) tried += ": " + r.why().detail;
    }
    if (first_failure) return *first_failure;
    return {credentials_errc::not_found, "no AWS credentials (tried " + tried + ")"};
  }

  void refresh_loop() {
    std::unique_lock lock(state_mutex_);
    auto retry = options_.min_refresh_interval;
    auto next = std::max(*cached_->expiration - options_.refresh_margin,
                         now() + options_.min_refresh_interval);
    while (!stop_) {
      // Waits in slices so a clock that jumps is noticed within a minute.
      const auto wait = std::min<clock_type::duration>(next - now(), std::chrono::minutes(1));
      if (wait > clock_type::duration::zero()) {
        wake_.wait_for(lock, wait, [this] { return stop_; });
        continue;
      }
      lock.unlock();
      result<credentials> r = credentials_errc::not_found;
      {
        const std::lock_guard fetching(fetch_mutex_);
        r = chosen_->fetch();
      }
      lock.lock();
      if (r) {
        cached_ = *r;
        retry = options_.min_refresh_interval;
        if (!r->expiration) return;  // no longer temporary: nothing to refresh
        next = std::max(*r->expiration - options_.refresh_margin,
                        now() + options_.min_refresh_interval);
        observe::debug("aws credentials refreshed", {{"source", chosen_name_}});
      } else {
        // The cached value stays in use while it is valid; get() fetches
        // itself once it is not.
        observe::warn("aws credentials refresh failed",
                      {{"source", chosen_name_}, {"error", r.message()}});
        next = now() + retry;
        retry = std::min<std::chrono::milliseconds>(retry * 2, std::chrono::minutes(1));
      }
    }
  }

  chain_options options_;
  std::vector<std::unique_ptr<chain_link>> links_;
  std::mutex fetch_mutex_;
  chain_link* chosen_ = nullptr;  // set once under fetch_mutex_; read by the refresh thread after
  mutable std::mutex state_mutex_;
  std::optional<credentials> cached_;  // guarded by state_mutex_
  std::string chosen_name_;            // guarded by state_mutex_
  bool stop_ = false;                  // guarded by state_mutex_
  std::condition_variable wake_;
  std::thread refresher_;  // started under state_mutex_
};

}  // namespace

const std::error_category& credentials_category() {
  static const enum_category<credentials_errc> c("sluice.aws.credentials", describe_errc);
  return c;
}
std::error_code make_error_code(credentials_errc e) {
  return {static_cast<int>(e), credentials_category()};
}

result<credentials> parse_shared_credentials(std::string_view text, std::string_view profile) {
  bool in_profile = false;
  bool found = false;
  credentials c;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string_view::npos) continue;  // not a section: ignored
      in_profile = trim(line.substr(1, close - 1)) == profile;
      found = found || in_profile;
      continue;
    }
    // An indented line continues the previous value (nested settings such as
    // `s3 =` blocks in the config file): never a credential.
    if (!in_profile || raw.front() == ' ' || raw.front() == '\t') continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key = lower(trim(line.substr(0, eq)));
    const std::string_view value = trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") c.access_key_id = value;
    if (key == "aws_secret_access_key") c.secret_access_key = value;
    if (key == "aws_session_token") c.session_token = value;
  }
  if (!found) return {credentials_errc::not_found, "no profile " + std::string(profile)};
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return {credentials_errc::bad_file, "profile " + std::string(profile) +
                                            " lacks aws_access_key_id or aws_secret_access_key"};
  }
  return c;
}

std::optional<clock_type::time_point> parse_iso8601(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(5, 2, month) || s[7] != '-' ||
      !digits(8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(11, 2, hour) || s[13] != ':' || !digits(14, 2, minute) || s[16] != ':' ||
      !digits(17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;  // fractions dropped
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;  // a time without a zone is not a point in time
  }
  if (pos != s.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  return clock_type::from_time_t(t) - std::chrono::minutes(offset_minutes);
}

result<credentials> parse_credentials_json(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(body, ec);
  // Never the body in a message: it holds the secret.
  if (ec || !v.is_object()) return {credentials_errc::bad_response, "not a JSON object"};
  const auto& o = v.as_object();
  auto text = [&](const char* key) -> std::string {
    const auto* f = o.if_contains(key);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  // Instance metadata says whether it worked; the container endpoint does not.
  if (const auto* code = o.if_contains("Code");
      code != nullptr && code->is_string() && code->as_string() != "Success") {
    return {credentials_errc::bad_response, "Code is not Success"};
  }
  credentials c;
  c.access_key_id = text("AccessKeyId");
  c.secret_access_key = text("SecretAccessKey");
  c.session_token = text("Token");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return {credentials_errc::bad_response, "AccessKeyId or SecretAccessKey missing"};
  }
  const std::string expiration = text("Expiration");
  if (!expiration.empty()) {
    c.expiration = parse_iso8601(expiration);
    if (!c.expiration) return {credentials_errc::bad_response, "Expiration is not a time"};
  }
  return c;
}

std::unique_ptr<credentials_source> default_chain(chain_options options) {
  if (!options.env) {
    options.env = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only
      return v == nullptr ? std::nullopt : std::optional<std::string>(v);
    };
  }
  const environment env{options.env};
  std::vector<std::unique_ptr<chain_link>> links;
  links.push_back(std::make_unique<env_link>(env));
  links.push_back(std::make_unique<file_link>(env, options.home));
  links.push_back(std::make_unique<container_link>(env, options.container_host,
                                                   options.http_timeout, options.ca_file));
  links.push_back(std::make_unique<imds_link>(env, options.http_timeout));
  return std::make_unique<chain_source>(std::move(options), std::move(links));
}

}  // namespace sluice::aws
