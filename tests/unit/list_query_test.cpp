// api/list_query: the query string of GET /v1/{resource} (every operator,
// groups, select, order, cursors, and each class of bad input) and the cache
// key of a page query.

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "api/cursor.hpp"
#include "api/list_query.hpp"
#include "config/config.hpp"
#include "store/query_sql.hpp"

namespace sluice::api {
namespace {

store::page_query with_number(double x) {
  store::page_query q;
  q.filters.push_back(store::equals("score", model::value{x}));
  return q;
}

// Issue 11 #14: numbers in the key are exact (shortest round-trip), so two
// filters that differ past the sixth decimal never share a cached page.
TEST(cache_key, numbers_are_exact) {
  const std::pair<double, double> distinct[] = {
      {0.1234561, 0.1234564},
      {1e-7, 2e-7},
      {123456789.123456789, 123456789.12345682},
      {0.30000000000000004, 0.3},
      {1e300, 1.0000000000000002e300},
  };
  for (const auto& [a, b] : distinct) {
    ASSERT_NE(a, b);
    EXPECT_NE(cache_key("t", with_number(a)), cache_key("t", with_number(b))) << a << " " << b;
  }
  EXPECT_EQ(cache_key("t", with_number(0.5)), cache_key("t", with_number(0.5)));
}

// Found by fuzz/list_query (issue 12): Boost.URL 1.81's parse_query builds its
// view with strlen(data), reading past a query that is not NUL-terminated.
// Each query here ends just before an unreadable page, so the old code
// crashed with SIGSEGV; now each parses as itself and nothing more.
TEST(parse_list_query, a_query_is_not_read_past_its_end) {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto cfg = config::parse("[[resources]]\nname = \"users\"\n  [[resources.fields]]\n  name = \"email\"\n",
                           "list_query_test.toml", no_env);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  auto* bytes = static_cast<char*>(map);
  std::memset(bytes, 'a', page);  // no NUL before the guard page
  ASSERT_EQ(mprotect(bytes + page, page, PROT_NONE), 0);
  http::field_error error;
  auto empty = parse_list_query(cfg.resources.front(), std::string_view(bytes, 0), error);
  ASSERT_TRUE(empty.has_value()) << error.detail;
  EXPECT_EQ(empty->query.limit, cfg.resources.front().default_limit);
  const std::string text = "limit=7";
  char* at_end = bytes + page - text.size();
  std::memcpy(at_end, text.data(), text.size());
  auto seven = parse_list_query(cfg.resources.front(), std::string_view(at_end, text.size()), error);
  ASSERT_TRUE(seven.has_value()) << error.detail;
  EXPECT_EQ(seven->query.limit, 7u);
  munmap(map, 2 * page);
}


const config::resource_def& people() {
  static const auto cfg = config::parse(R"(
[[resources]]
name = "people"
  [[resources.fields]]
  name = "name"
  [[resources.fields]]
  name = "email"
  type = "email"
  index = true
  [[resources.fields]]
  name = "age"
  type = "integer"
  index = true
  [[resources.fields]]
  name = "score"
  type = "number"
  [[resources.fields]]
  name = "vip"
  type = "boolean"
  [[resources.fields]]
  name = "seen_at"
  type = "timestamp"
)",
                                        "people.toml",
                                        [](const std::string&) -> std::optional<std::string> {
                                          return std::nullopt;
                                        });
  return cfg.resources.front();
}

std::optional<list_query> parse(const std::string& q, http::field_error& e) {
  return parse_list_query(people(), q, e);
}

list_query parsed(const std::string& q) {
  http::field_error e;
  auto out = parse(q, e);
  EXPECT_TRUE(out.has_value()) << q << ": " << e.pointer << ": " << e.detail;
  return out ? std::move(*out) : list_query{};
}

// The parameter a refusal names, or "" when the query parsed.
std::string refused(const std::string& q) {
  http::field_error e;
  auto out = parse(q, e);
  if (out) return "";
  EXPECT_FALSE(e.detail.empty()) << q;
  return e.pointer.empty() ? "(none)" : e.pointer;
}

TEST(parse_list_query, every_operator) {
  using store::op;
  const struct {
    const char* query;
    op o;
    bool negated;
    model::value first;
    std::size_t values;
  } cases[] = {
      {"age=eq.30", op::eq, false, std::int64_t{30}, 1},
      {"age=neq.30", op::neq, false, std::int64_t{30}, 1},
      {"age=gt.30", op::gt, false, std::int64_t{30}, 1},
      {"age=gte.30", op::gte, false, std::int64_t{30}, 1},
      {"age=lt.30", op::lt, false, std::int64_t{30}, 1},
      {"age=lte.30", op::lte, false, std::int64_t{30}, 1},
      {"name=like.A*", op::like, false, std::string("A*"), 1},
      {"name=ilike.*a%25_*", op::ilike, false, std::string("*a%_*"), 1},
      {"age=in.(1,2,3)", op::in, false, std::int64_t{1}, 3},
      {"age=is.null", op::is_null, false, {}, 0},
      {"age=is.not_null", op::is_null, true, {}, 0},
      {"vip=is.true", op::is_true, false, {}, 0},
      {"vip=is.false", op::is_false, false, {}, 0},
      {"age=not.eq.30", op::eq, true, std::int64_t{30}, 1},
      {"age=not.is.null", op::is_null, true, {}, 0},
      {"age=not.in.(4)", op::in, true, std::int64_t{4}, 1},
      {"id=gt.7", op::gt, false, std::int64_t{7}, 1},
      {"score=lt.1.5", op::lt, false, 1.5, 1},
      {"vip=eq.true", op::eq, false, true, 1},
      {"seen_at=gte.2026-11-29T10:00:00%2B01:00", op::gte, false,
       std::string("2026-11-29T09:00:00.000000Z"), 1},
      {"email=eq.a.b@c.d", op::eq, false, std::string("a.b@c.d"), 1},
  };
  for (const auto& c : cases) {
    auto q = parsed(c.query);
    ASSERT_EQ(q.query.filters.size(), 1u) << c.query;
    const auto& f = q.query.filters[0];
    EXPECT_EQ(f.o, c.o) << c.query;
    EXPECT_EQ(f.negated, c.negated) << c.query;
    ASSERT_EQ(f.values.size(), c.values) << c.query;
    if (c.values > 0) {
      EXPECT_EQ(f.values[0], c.first) << c.query;
    }
  }
}

TEST(parse_list_query, in_lists_take_quoted_values) {
  // A query string cannot hold " and \ as they are: %22, %5C.
  auto q = parsed("name=in.(a,%22b,c%22,%22d%5C%22e%22,(f))");
  ASSERT_EQ(q.query.filters.size(), 1u);
  const auto& v = q.query.filters[0].values;
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], model::value{std::string("a")});
  EXPECT_EQ(v[1], model::value{std::string("b,c")});
  EXPECT_EQ(v[2], model::value{std::string("d\"e")});
  EXPECT_EQ(v[3], model::value{std::string("(f)")});
}

TEST(parse_list_query, or_and_groups) {
  auto q = parsed("or=(age.lt.18,name.eq.bob)&not.and=(vip.is.true,email.like.*@x.test)&age=gte.1");
  ASSERT_EQ(q.query.groups.size(), 2u);
  const auto& any = q.query.groups[0];
  EXPECT_TRUE(any.any);
  EXPECT_FALSE(any.negated);
  ASSERT_EQ(any.conditions.size(), 2u);
  EXPECT_EQ(any.conditions[0].field, "age");
  EXPECT_EQ(any.conditions[0].o, store::op::lt);
  EXPECT_EQ(any.conditions[1].values[0], model::value{std::string("bob")});
  const auto& all = q.query.groups[1];
  EXPECT_FALSE(all.any);
  EXPECT_TRUE(all.negated);
  EXPECT_EQ(all.conditions[1].o, store::op::like);
  EXPECT_EQ(q.query.filters.size(), 1u);
  // Quoted values hold commas and parentheses; not. and in work inside.
  auto quoted = parsed("or=(name.eq.%22a,b)%22,age.not.in.(1,2),name.eq.x.y)");
  ASSERT_EQ(quoted.query.groups[0].conditions.size(), 3u);
  EXPECT_EQ(quoted.query.groups[0].conditions[0].values[0], model::value{std::string("a,b)")});
  EXPECT_TRUE(quoted.query.groups[0].conditions[1].negated);
  EXPECT_EQ(quoted.query.groups[0].conditions[1].values.size(), 2u);
  EXPECT_EQ(quoted.query.groups[0].conditions[2].values[0], model::value{std::string("x.y")});
}

TEST(parse_list_query, select_and_order) {
  auto q = parsed("select=name,id,name,received_at&order=email.desc");
  EXPECT_EQ(q.query.select, (std::vector<std::string>{"name", "id", "received_at"}));
  EXPECT_EQ(q.query.order.field, "email");
  EXPECT_TRUE(q.query.order.descending);
  EXPECT_TRUE(q.query.order.nulls_first);  // PostgreSQL's default for desc
  auto asc = parsed("order=age");
  EXPECT_FALSE(asc.query.order.descending);
  EXPECT_FALSE(asc.query.order.nulls_first);
  auto nf = parsed("order=age.asc.nullsfirst");
  EXPECT_TRUE(nf.query.order.nulls_first);
  auto nl = parsed("order=age.desc.nullslast");
  EXPECT_FALSE(nl.query.order.nulls_first);
  auto id = parsed("order=id.desc&after=5");
  ASSERT_TRUE(id.query.after);
  EXPECT_EQ(id.query.after->id, 5);
}

TEST(parse_list_query, each_class_of_bad_input_names_its_parameter) {
  const std::pair<const char*, const char*> cases[] = {
      // bad literals, typed by the field
      {"age=eq.abc", "age"},
      {"score=gt.x", "score"},
      {"vip=eq.yes", "vip"},
      {"seen_at=lt.yesterday", "seen_at"},
      {"id=eq.abc", "id"},
      {"age=in.(1,x)", "age"},
      // unknown fields and operators
      {"colour=eq.red", "colour"},
      {"age=foo.1", "age"},
      {"age=30", "age"},
      {"age=not.30", "age"},
      {"age=like.3*", "age"},
      {"age=is.true", "age"},
      {"age=is.maybe", "age"},
      {"age=in.()", "age"},
      {"age=in.1,2", "age"},
      {"name=in.(%22a)", "name"},
      // malformed groups
      {"or=age.lt.18", "or"},
      {"or=(age.lt.18", "or"},
      {"or=()", "or"},
      {"or=(age)", "or"},
      {"or=(age.lt.18,and(name.eq.a,name.eq.b))", "or"},
      {"and=(nope.eq.1)", "and"},
      {"or=(name.eq.%22a)", "or"},
      {"or=(age.lt.x)", "or"},
      // select and order
      {"select=name,nope", "select"},
      {"select=", "select"},
      {"select=name&select=id", "select"},
      {"order=name.asc", "order"},
      {"order=score", "order"},
      {"order=age.up", "order"},
      {"order=age.asc.nullsfirst.nullslast", "order"},
      {"order=age.asc,id.desc", "order"},
      {"order=id.asc&order=id.desc", "order"},
      // position
      {"after=x", "after"},
      {"order=age&after=3", "after"},
      {"cursor=abc", "cursor"},
      {"cursor=abc.def", "cursor"},
      {"after=1&cursor=abc", "cursor"},
      // limit
      {"limit=0", "limit"},
      {"limit=1001", "limit"},
      {"limit=1&limit=2", "limit"},
      {"email", "email"},
  };
  for (const auto& [q, param] : cases) EXPECT_EQ(refused(q), param) << q;
}

TEST(parse_list_query, too_many_filters_counts_conditions_in_groups) {
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += "&age=neq." + std::to_string(i);
  EXPECT_EQ(refused("limit=1" + sixteen), "");
  EXPECT_EQ(refused("limit=1" + sixteen + "&name=eq.x"), "name");
  std::string fifteen;
  for (int i = 0; i < 15; ++i) fifteen += "&age=neq." + std::to_string(i);
  EXPECT_EQ(refused("limit=1" + fifteen + "&or=(name.eq.a)"), "");
  EXPECT_EQ(refused("limit=1" + fifteen + "&or=(name.eq.a,name.eq.b)"), "or");
  std::string many = "age=in.(";
  for (std::size_t i = 0; i <= max_in_values; ++i) many += (i ? "," : "") + std::to_string(i);
  EXPECT_EQ(refused(many + ")"), "age");
}

// A cursor is the server's: altered in any byte, or used with another
// order, it is refused; as issued it gives back the position.
TEST(parse_list_query, cursors_are_signed_and_bound_to_their_order) {
  store::order_by by_age{"age", false, false};
  const std::string token = encode_cursor(by_age, {std::int64_t{42}, 7});
  auto q = parsed("order=age&cursor=" + token);
  ASSERT_TRUE(q.query.after);
  EXPECT_EQ(q.query.after->id, 7);
  EXPECT_EQ(q.query.after->value, model::value{std::int64_t{42}});
  const std::string null_token = encode_cursor(by_age, {{}, 9});
  auto n = parsed("order=age&cursor=" + null_token);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(n.query.after->value));
  EXPECT_EQ(refused("order=age.desc&cursor=" + token), "cursor");
  EXPECT_EQ(refused("order=email&cursor=" + token), "cursor");
  EXPECT_EQ(refused("cursor=" + token), "cursor");
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(refused("order=age&cursor=" + bad), "cursor") << i;
  }
  EXPECT_EQ(refused("order=age&cursor=" + token + "x"), "cursor");
}

// The next page's target parses back to the same query, past `last`.
TEST(next_page_target, repeats_the_query_with_the_position) {
  auto q = parsed("limit=2&order=email.desc.nullslast&select=id,email&or=(age.lt.3,vip.is.true)");
  std::string target = next_page_target("people", q, {std::string("b@x.test"), 12});
  ASSERT_TRUE(target.starts_with("/v1/people?limit=2&cursor=")) << target;
  auto again = parsed(target.substr(target.find('?') + 1));
  q.query.after = store::keyset{std::string("b@x.test"), 12};
  EXPECT_EQ(cache_key("people", again.query), cache_key("people", q.query));
  auto by_id = parsed("limit=3&age=gt.1");
  EXPECT_EQ(next_page_target("people", by_id, {{}, 5}), "/v1/people?limit=3&after=5&age=gt.1");
}

// The prev page's target: a signed cursor= marked as a prev position (id
// order too), which parses back to the same query before `first`, with its
// own cache key; a next cursor is not a prev one.
TEST(prev_page_target, repeats_the_query_before_the_position) {
  auto q = parsed("limit=2&order=email.desc&select=id,email&age=gt.1");
  std::string target = prev_page_target("people", q, {std::string("b@x.test"), 12});
  ASSERT_TRUE(target.starts_with("/v1/people?limit=2&cursor=")) << target;
  auto again = parsed(target.substr(target.find('?') + 1));
  EXPECT_TRUE(again.before);
  ASSERT_TRUE(again.query.after);
  EXPECT_EQ(again.query.after->id, 12);
  EXPECT_EQ(again.query.after->value, model::value{std::string("b@x.test")});
  q.query.after = store::keyset{std::string("b@x.test"), 12};
  EXPECT_EQ(cache_key("people", again.query, true), cache_key("people", q.query, true));
  EXPECT_NE(cache_key("people", again.query, true), cache_key("people", q.query));
  auto next = parsed(next_page_target("people", q, {std::string("b@x.test"), 12}).substr(11));
  EXPECT_FALSE(next.before);
  auto by_id = parsed("limit=3&age=gt.1");
  std::string id_target = prev_page_target("people", by_id, {{}, 5});
  auto id_again = parsed(id_target.substr(id_target.find('?') + 1));
  EXPECT_TRUE(id_again.before);
  EXPECT_EQ(id_again.query.after->id, 5);
  // Altered in any byte, it is refused like a next cursor.
  const std::string token = id_target.substr(id_target.find("cursor=") + 7,
                                             id_target.find('&', id_target.find("cursor=")) -
                                                 id_target.find("cursor=") - 7);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(refused("cursor=" + bad), "cursor") << i;
  }
}

TEST(cache_key, every_parameter_counts_and_condition_order_does_not) {
  const char* distinct[] = {
      "age=eq.1",
      "age=neq.1",
      "age=not.eq.1",
      "age=eq.2",
      "age=in.(1,2)",
      "age=is.null",
      "age=is.not_null",
      "name=like.a*",
      "name=ilike.a*",
      "or=(age.eq.1,name.eq.a)",
      "and=(age.eq.1,name.eq.a)",
      "not.or=(age.eq.1,name.eq.a)",
      "select=id",
      "select=id,name",
      "select=name,id",
      "order=age",
      "order=age.desc",
      "order=age.asc.nullsfirst",
      "order=id.desc",
      "after=3",
      "limit=5",
      "",
  };
  std::set<std::string> keys;
  for (const char* q : distinct) keys.insert(cache_key("people", parsed(q).query));
  EXPECT_EQ(keys.size(), std::size(distinct));
  EXPECT_EQ(cache_key("people", parsed("age=eq.1&name=eq.a").query),
            cache_key("people", parsed("name=eq.a&age=eq.1").query));
  EXPECT_EQ(cache_key("people", parsed("or=(age.eq.1,name.eq.a)").query),
            cache_key("people", parsed("or=(name.eq.a,age.eq.1)").query));
  EXPECT_EQ(cache_key("people", parsed("order=id.asc&limit=100").query),
            cache_key("people", parsed("").query));
  EXPECT_EQ(cache_key("people", parsed("order=age.desc").query),
            cache_key("people", parsed("order=age.desc.nullsfirst").query));
}

TEST(match_pattern, like_escapes_and_glob_brackets) {
  EXPECT_EQ(store::match_pattern("a*b%c_d\\e", false, false), "a%b\\%c\\_d\\\\e");
  EXPECT_EQ(store::match_pattern("A*b?[c]", true, false), "A*b[?][[]c]");
  EXPECT_EQ(store::match_pattern("ÀbC*", true, true), "Àbc*");
}

}  // namespace
}  // namespace sluice::api
