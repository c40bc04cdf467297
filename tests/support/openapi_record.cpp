#include "support/openapi_record.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

namespace sluice::testing::openapi_record {
namespace {

namespace json = boost::json;

struct state {
  std::mutex mu;
  std::map<int, std::string> docs;  // port -> document id
  std::ofstream out;
};

state& global() {
  static state s;
  return s;
}

const char* dir() {
  const char* d = std::getenv("SLUICE_OPENAPI_RECORDS");
  return d && *d ? d : nullptr;
}

std::string hash_of(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;  // continuation bytes
    if (c >= 0x80) {
      if ((c >> 5) == 6) {
        n = 1;
      } else if ((c >> 4) == 14) {
        n = 2;
      } else if ((c >> 3) == 30) {
        n = 3;
      } else {
        return false;
      }
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n + 1;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string current_test() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (!info) return "(outside a test)";
  return std::string(info->test_suite_name()) + "." + info->name();
}

// One request of the bytes sent: its method and target, and where the next one starts.
struct request_line {
  std::string method, target;
};

std::size_t find_ci(std::string_view hay, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool eq = true;
    for (std::size_t k = 0; k < needle.size() && eq; ++k) {
      eq = std::tolower(static_cast<unsigned char>(hay[i + k])) ==
           std::tolower(static_cast<unsigned char>(needle[k]));
    }
    if (eq) return i;
  }
  return std::string_view::npos;
}

// The requests in `sent`, as far as they can be told apart (Content-Length
// and chunked bodies); a request line that is not METHOD SP TARGET SP
// HTTP/1.x gives an empty method (the validator then checks only what every
// route may answer).
std::vector<request_line> requests_of(std::string_view sent) {
  std::vector<request_line> out;
  std::size_t pos = 0;
  while (pos < sent.size() && out.size() < 1000) {
    auto head_end = sent.find("\r\n\r\n", pos);
    auto line_end = sent.find("\r\n", pos);
    std::string_view line = sent.substr(pos, line_end == std::string_view::npos ? sent.size() - pos
                                                                               : line_end - pos);
    request_line r;
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 != std::string_view::npos && line.substr(sp2 + 1).starts_with("HTTP/1.")) {
      r.method = std::string(line.substr(0, sp1));
      r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    }
    out.push_back(r);
    if (head_end == std::string_view::npos) break;
    std::string_view head = sent.substr(pos, head_end - pos);
    pos = head_end + 4;
    if (auto cl = find_ci(head, "\r\ncontent-length:"); cl != std::string_view::npos) {
      pos += std::strtoul(std::string(head.substr(cl + 17, 20)).c_str(), nullptr, 10);
    } else if (find_ci(head, "\r\ntransfer-encoding: chunked") != std::string_view::npos) {
      for (int chunks = 0; chunks < 100000 && pos < sent.size(); ++chunks) {
        auto e = sent.find("\r\n", pos);
        if (e == std::string_view::npos) return out;
        auto size = std::strtoul(std::string(sent.substr(pos, e - pos)).c_str(), nullptr, 16);
        pos = e + 2 + size + 2;
        if (size == 0) break;
      }
    }
  }
  return out;
}

}  // namespace

bool enabled() { return dir() != nullptr; }

std::pair<std::string, std::string> request_line_of(std::string_view sent) {
  auto reqs = requests_of(sent.substr(0, std::min(sent.find("\r\n"), sent.size())));
  if (reqs.empty()) return {};
  return {reqs.front().method, reqs.front().target};
}

void register_server(int port, const std::string& document) {
  const char* d = dir();
  if (!d) return;
  const std::string id = hash_of(document);
  std::filesystem::path docs = std::filesystem::path(d) / "docs";
  std::error_code ec;
  std::filesystem::create_directories(docs, ec);
  auto file = docs / (id + ".json");
  if (!std::filesystem::exists(file)) {
    auto tmp = docs / (id + ".json." + std::to_string(::getpid()));
    std::ofstream(tmp) << document;
    std::filesystem::rename(tmp, file, ec);
  }
  std::lock_guard lock(global().mu);
  global().docs[port] = id;
}

bool registered(int port) {
  if (!enabled()) return false;
  std::lock_guard lock(global().mu);
  return global().docs.count(port) > 0;
}

void response(int port, const exchange& e) {
  const char* d = dir();
  if (!d || e.status == 0) return;
  auto& s = global();
  std::lock_guard lock(s.mu);
  auto doc = s.docs.find(port);
  if (doc == s.docs.end()) return;
  json::object line{{"test", current_test()}, {"doc", doc->second}, {"port", port},
                    {"via", e.via},           {"method", e.method}, {"target", e.target},
                    {"status", e.status}};
  json::object headers;
  if (e.headers) {
    for (const auto& [k, v] : *e.headers) headers[lower(k)] = v;
  }
  line["headers"] = std::move(headers);
  if (!e.has_body) {
    // no body member: the validator checks status, type and headers only
  } else if (valid_utf8(e.body)) {
    line["body"] = e.body;
  } else {
    line["body_bytes"] = e.body.size();  // binary (a gzip-encoded file): not checked
  }
  if (!s.out.is_open()) {
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    s.out.open(std::filesystem::path(d) / (std::to_string(::getpid()) + ".jsonl"),
               std::ios::app);
  }
  s.out << json::serialize(line) << '\n';
  s.out.flush();
}

namespace {

// The status and header fields of a response head ("HTTP/1.1 200 OK\r\n…").
int parse_head(std::string_view head, std::map<std::string, std::string>& headers) {
  int status = head.size() >= 12 ? std::atoi(std::string(head.substr(9, 3)).c_str()) : 0;
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at < head.size()) {
    auto next = head.find("\r\n", at + 2);
    auto field = head.substr(at + 2, (next == std::string_view::npos ? head.size() : next) - at - 2);
    if (auto colon = field.find(':'); colon != std::string_view::npos) {
      auto v = field.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      headers[lower(field.substr(0, colon))] = std::string(v);
    }
    at = next;
  }
  return status;
}

}  // namespace

void curl(int port, std::string_view method, std::string_view target, const std::string& dump,
          const std::string* body) {
  if (!registered(port)) return;
  std::size_t pos = 0;
  while (pos < dump.size() && std::string_view(dump).substr(pos).starts_with("HTTP/1.")) {
    auto end = dump.find("\r\n\r\n", pos);
    if (end == std::string::npos) end = dump.size();
    std::map<std::string, std::string> headers;
    int status = parse_head(std::string_view(dump).substr(pos, end - pos), headers);
    pos = end + 4;
    if (status >= 100 && status < 200) continue;
    exchange e{"curl", method, target, status, &headers, {}};
    const bool last = dump.find("\r\n\r\nHTTP/1.", end) == std::string::npos;
    e.has_body = body != nullptr && last;
    if (e.has_body) e.body = *body;
    response(port, e);
  }
}

void raw(int port, const std::string& sent, const std::string& received, std::size_t& answered) {
  if (!registered(port)) return;
  const auto reqs = requests_of(sent);
  std::size_t pos = 0;
  while (pos < received.size()) {
    auto head_end = received.find("\r\n\r\n", pos);
    if (head_end == std::string::npos || !std::string_view(received).substr(pos).starts_with("HTTP/1.")) {
      return;
    }
    std::string_view head(received.data() + pos, head_end - pos);
    std::map<std::string, std::string> headers;
    int status = parse_head(head, headers);
    const request_line* req = answered < reqs.size() ? &reqs[answered] : nullptr;
    std::size_t length = 0;
    if (auto cl = headers.find("content-length"); cl != headers.end() && !(req && req->method == "HEAD")) {
      length = std::strtoul(cl->second.c_str(), nullptr, 10);
    }
    if (received.size() < head_end + 4 + length) return;  // cut short: not a whole response
    std::string_view body = std::string_view(received).substr(head_end + 4, length);
    pos = head_end + 4 + length;
    if (status >= 100 && status < 200) continue;  // 100 Continue: the answer follows
    ++answered;
    response(port, {"raw_socket", req ? std::string_view(req->method) : std::string_view(),
                    req ? std::string_view(req->target) : std::string_view(), status, &headers,
                    body});
  }
}

}  // namespace sluice::testing::openapi_record
