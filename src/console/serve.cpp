#include "console/serve.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "console/assets.hpp"
#include "http/problem.hpp"

namespace sluice::console {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Calls f(item) for each comma-separated item of a header value.
template <class F>
void each_item(std::string_view value, F f) {
  while (!value.empty()) {
    auto comma = value.find(',');
    f(trim(value.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// RFC 9110 §12.5.3: gzip (or *) listed with a q other than 0.
bool accepts_gzip(std::string_view accept_encoding) {
  bool yes = false;
  each_item(accept_encoding, [&yes](std::string_view item) {
    auto semi = item.find(';');
    auto coding = trim(item.substr(0, semi));
    if (!iequals(coding, "gzip") && coding != "*") return;
    bool zero = false;
    if (semi != std::string_view::npos) {
      auto params = trim(item.substr(semi + 1));
      if (params.size() >= 3 && (params[0] == 'q' || params[0] == 'Q') && params[1] == '=') {
        auto q = params.substr(2);
        zero = q.find_first_not_of("0.") == std::string_view::npos;
      }
    }
    if (!zero) yes = true;
  });
  return yes;
}

// If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
bool matches(std::string_view if_none_match, std::string_view etag) {
  bool hit = false;
  each_item(if_none_match, [&](std::string_view tag) {
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) hit = true;
  });
  return hit;
}

const asset* find(std::string_view name) {
  for (const auto& a : assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

http::response answer(const http::request& req, const asset& a, std::string_view cache_control) {
  http::response r;
  r.set("ETag", std::string(a.etag));
  r.set("Cache-Control", std::string(cache_control));
  r.set("Vary", "Accept-Encoding");
  r.set("Content-Security-Policy", std::string(k_csp));
  if (matches(req.header("if-none-match"), a.etag)) {
    r.status = 304;
    return r;
  }
  r.set("Content-Type", std::string(a.content_type));
  if (accepts_gzip(req.header("accept-encoding"))) {
    r.set("Content-Encoding", "gzip");
    r.body = a.gzip;
  } else {
    r.body = a.plain;
  }
  return r;
}

}  // namespace

http::response page(const http::request& req) {
  const auto* index = find("index.html");
  if (index == nullptr) return http::problem(404, "this build has no console");
  return answer(req, *index, "no-cache");
}

http::response file(const http::request& req, std::string_view v, std::string_view name) {
  const auto* a = name == "index.html" ? nullptr : find(name);
  if (a == nullptr) return http::problem(404, "no such console file: " + std::string(name));
  // An older page asking for its version's file gets today's, uncached, so
  // that an old path never holds new bytes in a cache.
  return answer(req, *a, v == version() ? "public, max-age=31536000, immutable" : "no-cache");
}

}  // namespace sluice::console
