// SigV4 cross-checked against @smithy/signature-v4 (the AWS SDK for
// JavaScript v3's signer): a few hundred generated requests — random methods,
// paths with reserved characters and dot segments, queries with unicode,
// repeated names and odd escaping, header sets with odd whitespace and
// headers that must not be signed, binary payloads, with and without a
// session token — are signed here and by tests/tools/sigv4_reference.js; the
// added headers must agree byte for byte. Node.js and the npm package are test
// dependencies (`make test-deps`): without them this test fails, it does not skip.

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "aws/sigv4.hpp"

namespace sluice::aws {
namespace {

namespace json = boost::json;

struct generated {
  signable_request req;
  std::string payload;
  std::vector<std::pair<std::string, std::vector<std::string>>> query;  // decoded, in order
  credentials creds;
  std::string region;
  std::string service;
  std::int64_t time = 0;
};

class generator {
 public:
  explicit generator(std::uint32_t seed) : rng_(seed) {}

  generated next() {
    generated g;
    static const std::vector<std::string> methods = {"GET",    "POST", "PUT",
                                                     "DELETE", "HEAD", "PATCH"};
    static const std::vector<std::string> hosts = {"sqs.us-east-1.amazonaws.com",
                                                   "sns.eu-west-1.amazonaws.com", "127.0.0.1:4566",
                                                   "localhost:9324", "example.amazonaws.com"};
    static const std::vector<std::pair<std::string, std::string>> scopes = {
        {"us-east-1", "sqs"},
        {"eu-west-1", "sns"},
        {"us-east-1", "service"},
        {"ap-southeast-2", "sqs"},
        {"us-west-2", "s3"}};
    g.req.method = pick(methods);
    g.req.host = pick(hosts);
    const auto& scope = pick(scopes);
    g.region = scope.first;
    g.service = scope.second;
    g.req.path = path();
    query(g);
    headers(g);
    payload(g);  // req.payload is set where the request is signed (it views g.payload)
    g.creds.access_key_id = "AKIA" + random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
    g.creds.secret_access_key = random_from(k_base64, 40);
    if (chance(50)) g.creds.session_token = random_from(k_base64, between(20, 400));
    g.time = 1420070400 + between(0, 500000000);
    return g;
  }

 private:
  static constexpr const char* k_base64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

  int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return between(1, 100) <= percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(between(0, static_cast<int>(v.size()) - 1))];
  }
  std::string random_from(std::string_view alphabet, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) {
      s.push_back(
          alphabet[static_cast<std::size_t>(between(0, static_cast<int>(alphabet.size()) - 1))]);
    }
    return s;
  }

  // Decoded text: ASCII of every class, reserved characters, and multi-byte
  // UTF-8 (2, 3 and 4 bytes).
  std::string text(int max_units) {
    static const std::vector<std::string> units = {
        "a", "Z", "0", "9", "-",    ".", "_",        "~",  " ",     "!",  "*", "'",
        "(", ")", ";", ":", "@",    "&", "=",        "+",  "$",     ",",  "/", "?",
        "#", "[", "]", "%", "\"",   "<", ">",        "\\", "^",     "`",  "{", "|",
        "}", "é", "ß", "ሴ", "日本", "😀", "\xc2\xa0", "ab", "Value", "x-y"};
    std::string s;
    const int n = between(0, max_units);
    for (int i = 0; i < n; ++i) s += pick(units);
    return s;
  }

  // One byte as a sender might write it: always %XX for what must be, the
  // others either raw or escaped, in upper- or lower-case hex.
  void escape_into(std::string& out, unsigned char c, std::string_view may_stay_raw) {
    const bool unreserved = std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved && !chance(5)) {
      out.push_back(static_cast<char>(c));
      return;
    }
    if (!unreserved && c < 0x80 &&
        may_stay_raw.find(static_cast<char>(c)) != std::string_view::npos && chance(50)) {
      out.push_back(static_cast<char>(c));
      return;
    }
    const char* digits = chance(30) ? "0123456789abcdef" : "0123456789ABCDEF";
    out.push_back('%');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xf]);
  }

  std::string path() {
    std::string p = "/";
    const int segments = between(0, 5);
    for (int i = 0; i < segments; ++i) {
      if (i > 0) p.push_back('/');
      const int kind = between(1, 10);
      if (kind == 1) {
        p += ".";
      } else if (kind == 2) {
        p += "..";
      } else if (kind == 3) {
        // an empty segment: a doubled slash
      } else {
        for (char c : text(6)) escape_into(p, static_cast<unsigned char>(c), "!$&'()*+,;=:@");
      }
    }
    if (segments > 0 && chance(30)) p.push_back('/');
    return p;
  }

  void query(generated& g) {
    static const std::vector<std::string> names = {
        "Action", "Version", "QueueUrl", "MessageBody", "Attribute.1.Name",
        "a",      "A",       "b",        "ключ",        "😀",
        "x y",    "k*",      "~t",       "Param1",      "param1",
        "+",      "@#$%^"};
    const int n = chance(30) ? 0 : between(1, 8);
    std::string raw;
    for (int i = 0; i < n; ++i) {
      std::string name = chance(60) ? pick(names) : text(4);
      if (name.empty()) name = "e";
      // Repeats: reuse a name already present.
      if (!g.query.empty() && chance(25))
        name = g.query[static_cast<std::size_t>(between(0, static_cast<int>(g.query.size()) - 1))]
                   .first;
      const std::string value = chance(15) ? std::string() : text(6);
      auto it = std::find_if(g.query.begin(), g.query.end(),
                             [&](const auto& q) { return q.first == name; });
      if (it == g.query.end()) {
        g.query.emplace_back(name, std::vector<std::string>{});
        it = std::prev(g.query.end());
      }
      it->second.push_back(value);
      if (!raw.empty()) raw.push_back('&');
      for (char c : name) escape_into(raw, static_cast<unsigned char>(c), "!'()*,;:@/?$+");
      if (value.empty() && chance(50)) continue;  // "name" alone: an empty value
      raw.push_back('=');
      for (char c : value) escape_into(raw, static_cast<unsigned char>(c), "!'()*,;:@/?$+");
    }
    g.req.query = raw;
  }

  std::string header_value() {
    static const std::vector<std::string> units = {
        "v", "a b", "  ", "\t", " \t ",     "application/x-amz-json-1.0", "\"q   q\"",
        ",", ";",   "=",  "é",  "\xc2\xa0", "AmazonSQS.SendMessage",      "x",
        "0"};
    std::string s;
    const int n = between(0, 6);
    for (int i = 0; i < n; ++i) s += pick(units);
    return s;
  }

  void headers(generated& g) {
    static const std::vector<std::string> pool = {"Content-Type",
                                                  "X-Amz-Target",
                                                  "X-Amz-Meta-Thing",
                                                  "My-Header",
                                                  "Accept",
                                                  "Content-Encoding",
                                                  "User-Agent",
                                                  "Connection",
                                                  "Proxy-Authorization",
                                                  "Sec-Custom",
                                                  "X-Amzn-Trace-Id",
                                                  "Cache-Control",
                                                  "Expect",
                                                  "Date",
                                                  "Content-Length",
                                                  "X-Amz-User-Agent",
                                                  "Amz-Sdk-Invocation-Id",
                                                  "Transfer-Encoding",
                                                  "Te",
                                                  "Referer",
                                                  "x-custom-1",
                                                  "x-custom-2",
                                                  "X_Under_Score",
                                                  "Pragma"};
    std::vector<std::string> names = pool;
    std::shuffle(names.begin(), names.end(), rng_);
    names.resize(static_cast<std::size_t>(between(0, 8)));
    for (std::string name : names) {
      // Any mix of case: names are case-insensitive.
      for (char& c : name) {
        if (chance(20))
          c = static_cast<char>(std::islower(static_cast<unsigned char>(c))
                                    ? std::toupper(static_cast<unsigned char>(c))
                                    : std::tolower(static_cast<unsigned char>(c)));
      }
      g.req.headers.emplace_back(name, header_value());
    }
  }

  void payload(generated& g) {
    const int kind = between(1, 4);
    if (kind == 1) return;  // empty
    if (kind == 2) {
      g.payload = R"({"QueueUrl":"http://127.0.0.1:4566/000000000000/q","MaxNumberOfMessages":10})";
      return;
    }
    const int n = between(1, 300);
    for (int i = 0; i < n; ++i) g.payload.push_back(static_cast<char>(between(0, 255)));
  }

  std::mt19937 rng_;
};

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xf]);
  }
  return out;
}

json::object to_json(const generated& g) {
  json::object o;
  o["method"] = g.req.method;
  o["host"] = g.req.host;
  o["path"] = g.req.path;
  json::object q;
  for (const auto& [name, values] : g.query) {
    json::array a;
    for (const auto& v : values) a.emplace_back(v);
    q[name] = std::move(a);
  }
  o["query"] = std::move(q);
  json::array h;
  for (const auto& [name, value] : g.req.headers) h.emplace_back(json::array{name, value});
  o["headers"] = std::move(h);
  o["payload_hex"] = hex(g.payload);
  o["access_key_id"] = g.creds.access_key_id;
  o["secret_access_key"] = g.creds.secret_access_key;
  o["session_token"] = g.creds.session_token;
  o["region"] = g.region;
  o["service"] = g.service;
  o["time"] = g.time;
  return o;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// Runs the reference signer; its stdout, or the failure with its stderr.
std::string run_reference(const std::filesystem::path& input, const std::filesystem::path& errors,
                          int& status) {
  const std::string script = std::string(SLUICE_SOURCE_DIR) + "/tests/tools/sigv4_reference.js";
  const std::string cmd = "node " + shell_quote(script) + " " + shell_quote(SLUICE_NPM_DIR) + " " +
                          shell_quote(input.string()) + " 2>" + shell_quote(errors.string());
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    status = -1;
    return {};
  }
  std::string out;
  std::array<char, 65536> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  status = ::pclose(p);
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(sigv4_reference, agrees_with_smithy_signature_v4_byte_for_byte) {
  constexpr int k_requests = 400;
  generator gen(20261202);
  std::vector<generated> requests;
  requests.reserve(k_requests);
  json::array input;
  for (int i = 0; i < k_requests; ++i) {
    requests.push_back(gen.next());
    input.push_back(to_json(requests.back()));
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("sluice-sigv4-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto input_file = dir / "requests.json";
  const auto errors_file = dir / "node.err";
  {
    std::ofstream out(input_file, std::ios::binary);
    out << json::serialize(input);
  }

  int status = 0;
  const std::string out = run_reference(input_file, errors_file, status);
  ASSERT_EQ(status, 0) << "the reference signer failed (node and `make test-deps` are needed): "
                       << read_file(errors_file);
  const json::value results = json::parse(out);
  ASSERT_TRUE(results.is_array());
  ASSERT_EQ(results.as_array().size(), requests.size());

  int mismatches = 0;
  std::map<std::string, int> seen;  // coverage of what was generated
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const generated& g = requests[i];
    const auto& ref = results.as_array()[i].as_object();
    signable_request req = g.req;
    req.payload = g.payload;
    std::map<std::string, std::string> mine;
    for (const auto& [name, value] :
         sign_v4(req, g.creds, g.region, g.service,
                 std::chrono::system_clock::time_point(std::chrono::seconds(g.time)))) {
      mine[name] = value;
    }
    const bool same = mine["Authorization"] == ref.at("authorization").as_string() &&
                      mine["X-Amz-Date"] == ref.at("x_amz_date").as_string() &&
                      mine["X-Amz-Content-Sha256"] == ref.at("x_amz_content_sha256").as_string() &&
                      mine["X-Amz-Security-Token"] == ref.at("x_amz_security_token").as_string();
    if (!same && ++mismatches <= 5) {
      signable_request sent = req;
      for (const auto& [name, value] : mine) {
        if (name != "Authorization") sent.headers.emplace_back(name, value);
      }
      ADD_FAILURE()
          << "request " << i << ": " << json::serialize(input[i])
          << "\n  ours:   " << mine["Authorization"]
          << "\n  smithy: " << json::serialize(ref.at("authorization"))
          << "\n  our canonical request: "
          << json::serialize(json::string(
                 canonical_request(sent, g.service, mine["X-Amz-Content-Sha256"]).request))
          << "\n  smithy's:              " << json::serialize(ref.at("canonical_request"));
    }
    if (!g.creds.session_token.empty()) ++seen["token"];
    if (g.req.query.find('%') != std::string::npos) ++seen["escaped query"];
    if (g.req.path.find("/.") != std::string::npos) ++seen["dot segment"];
    if (g.req.path.find("//") != std::string::npos) ++seen["empty segment"];
    if (g.service == "s3") ++seen["s3"];
    if (!g.payload.empty()) ++seen["payload"];
    for (const auto& [name, values] : g.query) {
      if (values.size() > 1) ++seen["repeated query name"];
    }
  }
  EXPECT_EQ(mismatches, 0) << "of " << requests.size();
  for (const char* what : {"token", "escaped query", "dot segment", "empty segment", "s3",
                           "payload", "repeated query name"}) {
    EXPECT_GT(seen[what], 10) << what;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sluice::aws
