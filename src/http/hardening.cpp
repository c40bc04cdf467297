#include "http/hardening.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <string_view>

namespace sluice::http {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

const std::string* find(const response& res, std::string_view name) {
  for (const auto& [k, v] : res.headers) {
    if (same_name(k, name)) return &v;
  }
  return nullptr;
}

void set_default(response& res, std::string_view name, std::string_view value) {
  if (find(res, name) == nullptr) res.set(std::string(name), std::string(value));
}

bool is_problem(const response& res) {
  const auto* type = find(res, "Content-Type");
  return type != nullptr && type->starts_with("application/problem+json");
}

// Problem bodies are small and errors rare: a parse here costs nothing on the
// success path and keeps problem() free of any request state.
void add_instance(response& res, const observe::trace_context& trace) {
  if (trace.trace_id.empty()) return;
  boost::system::error_code ec;
  auto body = boost::json::parse(res.body, ec);
  if (ec || !body.is_object() || body.as_object().contains("instance")) return;
  body.as_object()["instance"] = problem_instance(trace);
  res.body = boost::json::serialize(body);
}

}  // namespace

std::string problem_instance(const observe::trace_context& trace) {
  return "urn:sluice:request:" + trace.trace_id + "-" + trace.span_id;
}

void harden(response& res, const observe::trace_context& trace) {
  set_default(res, "X-Content-Type-Options", "nosniff");
  set_default(res, "Referrer-Policy", "no-referrer");
  set_default(res, "X-Frame-Options", "DENY");
  set_default(res, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  if (is_problem(res)) {
    // An error is about one request: no cache, shared or private, may keep it.
    set_default(res, "Cache-Control", "no-store");
    add_instance(res, trace);
  }
}

}  // namespace sluice::http
