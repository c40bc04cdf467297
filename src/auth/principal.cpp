#include "auth/principal.hpp"

namespace sluice::auth {
namespace {

bool is_resource_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// "publish:" or "read:" and what follows, or nullopt.
std::optional<std::pair<std::string_view, std::string_view>> action_of(std::string_view s) {
  for (std::string_view action : {"publish", "read"}) {
    if (s.size() > action.size() && s.substr(0, action.size()) == action &&
        s[action.size()] == ':') {
      return std::pair{action, s.substr(action.size() + 1)};
    }
  }
  return std::nullopt;
}

}  // namespace

principal anonymous() { return principal{"", "anonymous", {"*"}, std::nullopt}; }

bool valid_scope(std::string_view s) {
  if (s == "*" || s == "status" || s == "admin" || s == "metrics") return true;
  auto a = action_of(s);
  return a && (a->second == "*" || is_resource_name(a->second));
}

bool covers(std::string_view granted, std::string_view needed) {
  if (granted == "*" || granted == needed) return true;
  auto g = action_of(granted);
  auto n = action_of(needed);
  // Only the wildcard of the same action widens: "read:*" never grants publish.
  return g && n && g->second == "*" && g->first == n->first;
}

bool allows(const principal& p, std::string_view needed) {
  if (needed.empty()) return true;
  for (const auto& s : p.scopes) {
    if (covers(s, needed)) return true;
  }
  return false;
}

std::vector<std::string> split_scopes(std::string_view list) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    auto end = list.find_first_of(", \t", pos);
    if (end == std::string_view::npos) end = list.size();
    if (end > pos) out.emplace_back(list.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string publish_scope(std::string_view resource) {
  return std::string("publish:").append(resource);
}

std::string read_scope(std::string_view resource) { return std::string("read:").append(resource); }

}  // namespace sluice::auth
