// [[resources]] and [[subscriptions]]: the record types Sluice serves and the
// queues that write them into tables. Names end up as URL paths and SQL
// identifiers, so they are held to a narrow alphabet here, once.

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "config/reader.hpp"

namespace sluice::config::detail {
namespace {

// Columns every table has (see store/); a field may not shadow them.
constexpr std::string_view k_reserved_columns[] = {"id", "message_id", "received_at", "stored_at",
                                                     "trace_id"};

// /v1/messages is the delivery-status endpoint; dead_letters and sluice_* are
// internal tables.
bool is_reserved_table(std::string_view name) {
  return name == "messages" || name == "dead_letters" || name.starts_with("sluice_");
}

// [a-z0-9][a-z0-9_-]{0,62}
bool is_subscription_name(std::string_view s) {
  if (s.empty() || s.size() > 63 || s[0] == '_' || s[0] == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// One TOML table whose keys must all be among `allowed`, with typed getters
// that report errors as "<path>.<key>".
class table_view {
 public:
  table_view(const context& ctx, const toml::node& node, std::string path,
             std::initializer_list<std::string_view> allowed)
      : ctx_(ctx), path_(std::move(path)) {
    table_ = node.as_table();
    if (table_ == nullptr) fail(ctx_, line_of(node), path_, "expected a table");
    for (const auto& [k, v] : *table_) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
        fail(ctx_, k.source().begin.line, key_path(k.str()), "unknown key");
      }
    }
  }

  std::string key_path(std::string_view key) const { return path_ + "." + std::string(key); }
  std::uint32_t line() const { return line_of(*table_); }
  std::uint32_t line(std::string_view key) const {
    const auto* n = table_->get(key);
    return n != nullptr ? line_of(*n) : line();
  }
  [[noreturn]] void fail_at(std::string_view key, std::string_view detail) const {
    fail(ctx_, line(key), key_path(key), detail);
  }

  std::optional<std::string> string(std::string_view key, bool required) const {
    const auto* n = table_->get(key);
    if (n == nullptr) {
      if (required) fail_at(key, "is required");
      return std::nullopt;
    }
    if (const auto* s = n->as_string()) return s->get();
    fail_at(key, "expected a string");
  }

  bool boolean(std::string_view key) const {
    const auto* n = table_->get(key);
    if (n == nullptr) return false;
    if (const auto* b = n->as_boolean()) return b->get();
    fail_at(key, "expected a boolean (true or false)");
  }

  std::optional<std::size_t> size(std::string_view key) const {
    const auto* n = table_->get(key);
    if (n == nullptr) return std::nullopt;
    const auto* i = n->as_integer();
    if (i == nullptr || i->get() < 0) fail_at(key, "expected a non-negative integer");
    return static_cast<std::size_t>(i->get());
  }

  std::optional<double> number(std::string_view key) const {
    const auto* n = table_->get(key);
    if (n == nullptr) return std::nullopt;
    if (const auto* i = n->as_integer()) return static_cast<double>(i->get());
    const auto* f = n->as_floating_point();
    if (f == nullptr || !std::isfinite(f->get())) fail_at(key, "expected a finite number");
    return f->get();
  }

  // The elements of an array of tables; empty when the key is absent.
  std::vector<const toml::node*> tables(std::string_view key) const {
    std::vector<const toml::node*> out;
    const auto* n = table_->get(key);
    if (n == nullptr) return out;
    const auto* a = n->as_array();
    if (a == nullptr || !(a->empty() || a->is_array_of_tables()))
      fail_at(key, "expected an array of tables");
    for (const auto& e : *a) out.push_back(&e);
    return out;
  }

 private:
  const context& ctx_;
  std::string path_;
  const toml::table* table_ = nullptr;
};

std::optional<field_type> parse_type(std::string_view s) {
  for (auto t : {field_type::string, field_type::email, field_type::integer, field_type::number,
                 field_type::boolean, field_type::timestamp}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

field_def read_field(const table_view& t, const std::vector<field_def>& earlier) {
  field_def f;
  f.name = *t.string("name", true);
  if (!is_identifier(f.name)) t.fail_at("name", "must match [a-z][a-z0-9_]{0,62}");
  for (auto r : k_reserved_columns) {
    if (f.name == r) t.fail_at("name", "is a reserved column name");
  }
  for (const auto& e : earlier) {
    if (e.name == f.name) t.fail_at("name", "duplicate field name \"" + f.name + "\"");
  }
  // Type defaults to string, the struct default; unknown keys still catch typos.
  if (auto type = t.string("type", false)) {
    auto parsed = parse_type(*type);
    if (!parsed) {
      t.fail_at("type", "must be one of string, email, integer, number, boolean, timestamp");
    }
    f.type = *parsed;
  }
  f.required = t.boolean("required");
  f.indexed = t.boolean("index");

  const bool textual = f.type == field_type::string || f.type == field_type::email;
  const bool numeric = f.type == field_type::integer || f.type == field_type::number;
  f.min_length = t.size("min_length");
  f.max_length = t.size("max_length");
  f.minimum = t.number("minimum");
  f.maximum = t.number("maximum");
  for (auto key : {"min_length", "max_length"}) {
    if (!textual && t.size(key)) t.fail_at(key, "only allowed on string and email fields");
  }
  for (auto key : {"minimum", "maximum"}) {
    if (!numeric && t.number(key)) t.fail_at(key, "only allowed on integer and number fields");
  }
  if (f.max_length && *f.max_length == 0) t.fail_at("max_length", "must be at least 1");
  if (f.min_length && f.max_length && *f.min_length > *f.max_length) {
    t.fail_at("max_length", "must not be less than min_length");
  }
  if (f.minimum && f.maximum && *f.minimum > *f.maximum) {
    t.fail_at("maximum", "must not be less than minimum");
  }
  // A btree index entry has a size limit (about 2.7 kB on PostgreSQL): an
  // indexed string without a bound would let one long value be refused by
  // the store after its 202. Refuse the configuration instead.
  if (f.indexed && f.type == field_type::string) {
    constexpr std::size_t k_max_indexed_length = 2000;
    if (!f.max_length) {
      t.fail_at("index", "indexed string field \"" + f.name + "\" needs max_length (at most " +
                             std::to_string(k_max_indexed_length) + ")");
    } else if (*f.max_length > k_max_indexed_length) {
      t.fail_at("max_length", "indexed string field \"" + f.name + "\" allows at most " +
                                  std::to_string(k_max_indexed_length));
    }
  }
  return f;
}

}  // namespace

std::vector<resource_def> read_resources(const context& ctx, const toml::node* node) {
  const char* at_least_one = "at least one [[resources]] entry is required";
  if (node == nullptr) fail(ctx, 0, "resources", at_least_one);
  const auto* array = node->as_array();
  if (array == nullptr || !(array->empty() || array->is_array_of_tables())) {
    fail(ctx, line_of(*node), "resources", "expected an array of tables ([[resources]])");
  }
  if (array->empty()) fail(ctx, line_of(*node), "resources", at_least_one);

  std::vector<resource_def> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const table_view t(ctx, *array->get(i), "resources[" + std::to_string(i) + "]",
                       {"name", "fields", "default_limit", "max_limit"});
    resource_def r;
    r.name = *t.string("name", true);
    if (!is_identifier(r.name)) t.fail_at("name", "must match [a-z][a-z0-9_]{0,62}");
    if (is_reserved_table(r.name)) {
      t.fail_at("name", "is reserved (messages, dead_letters and sluice_* are Sluice's own)");
    }
    for (const auto& e : out) {
      if (e.name == r.name) t.fail_at("name", "duplicate resource name \"" + r.name + "\"");
    }
    r.max_limit = t.size("max_limit").value_or(r.max_limit);
    if (r.max_limit < 1 || r.max_limit > k_page_limit_cap) {
      t.fail_at("max_limit", "must be from 1 to " + std::to_string(k_page_limit_cap));
    }
    // Unset, the default follows a smaller max_limit down.
    r.default_limit = t.size("default_limit").value_or(std::min(r.default_limit, r.max_limit));
    if (r.default_limit < 1) t.fail_at("default_limit", "must be at least 1");
    if (r.default_limit > r.max_limit) {
      t.fail_at("default_limit", "must not exceed max_limit (" + std::to_string(r.max_limit) + ")");
    }
    auto fields = t.tables("fields");
    if (fields.empty()) t.fail_at("fields", "at least one [[resources.fields]] entry is required");
    for (std::size_t j = 0; j < fields.size(); ++j) {
      const table_view ft(
          ctx, *fields[j], t.key_path("fields[" + std::to_string(j) + "]"),
          {"name", "type", "required", "min_length", "max_length", "minimum", "maximum", "index"});
      r.fields.push_back(read_field(ft, r.fields));
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<subscription_def> read_subscriptions(const context& ctx, const toml::node* node,
                                                 const std::vector<resource_def>& resources) {
  std::vector<subscription_def> out;
  const toml::array* array = nullptr;
  if (node != nullptr) {
    array = node->as_array();
    if (array == nullptr || !(array->empty() || array->is_array_of_tables())) {
      fail(ctx, line_of(*node), "subscriptions", "expected an array of tables ([[subscriptions]])");
    }
  }
  if (array == nullptr || array->empty()) {
    for (const auto& r : resources) out.push_back({r.name, r.name, r.name});
    return out;
  }
  auto is_resource = [&](std::string_view name) {
    return std::any_of(resources.begin(), resources.end(),
                       [&](const resource_def& r) { return r.name == name; });
  };
  for (std::size_t i = 0; i < array->size(); ++i) {
    const table_view t(ctx, *array->get(i), "subscriptions[" + std::to_string(i) + "]",
                       {"name", "resource", "table"});
    subscription_def s;
    s.name = *t.string("name", true);
    if (!is_subscription_name(s.name)) t.fail_at("name", "must match [a-z0-9][a-z0-9_-]{0,62}");
    for (const auto& e : out) {
      if (e.name == s.name) t.fail_at("name", "duplicate subscription name \"" + s.name + "\"");
    }
    s.resource = *t.string("resource", true);
    if (!is_resource(s.resource)) t.fail_at("resource", "no such resource");
    s.table = t.string("table", false).value_or(s.resource);
    if (!is_identifier(s.table)) t.fail_at("table", "must match [a-z][a-z0-9_]{0,62}");
    if (is_reserved_table(s.table)) t.fail_at("table", "is reserved for Sluice's own tables");
    // A resource's own table holds that resource's columns; another resource's
    // records cannot be written there.
    if (s.table != s.resource && is_resource(s.table)) {
      t.fail_at("table", "is the table of resource \"" + s.table + "\"");
    }
    for (const auto& e : out) {
      if (e.table == s.table) {
        t.fail_at("table", "already written by subscription \"" + e.name + "\"");
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace sluice::config::detail
