// Record validation, canonical JSON and query literals.

#include "model/validate.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

namespace sluice::model {
namespace {

namespace json = boost::json;
using config::field_def;
using config::field_type;
using config::resource_def;

field_def make_field(std::string name, field_type type, bool required = false) {
  field_def f;
  f.name = std::move(name);
  f.type = type;
  f.required = required;
  return f;
}

resource_def one_field(field_def f) {
  return resource_def{"things", {std::move(f)}};
}

struct outcome {
  bool ok = false;
  record rec;
  std::vector<problem> problems;
};

outcome run(const resource_def& r, std::string_view text, std::string_view prefix = "") {
  outcome o;
  o.ok = validate(r, json::parse(text), prefix, o.rec, o.problems);
  EXPECT_EQ(o.ok, o.problems.empty());
  return o;
}

std::string describe(const std::vector<problem>& ps) {
  std::string s;
  for (const auto& p : ps) s += "[" + p.pointer + ": " + p.detail + "] ";
  return s;
}

// ---- every type: accept / refuse --------------------------------------------

struct type_case {
  field_type type;
  std::string json;  // the member's value
  bool accept;
  value stored;  // when accepted
};

void PrintTo(const type_case& c, std::ostream* os) {
  *os << config::to_string(c.type) << " " << c.json;
}

class types : public ::testing::TestWithParam<type_case> {};

TEST_P(types, accept_or_refuse) {
  const auto& c = GetParam();
  const auto r = one_field(make_field("v", c.type));
  const auto o = run(r, R"({"v":)" + c.json + "}");
  ASSERT_EQ(o.ok, c.accept) << describe(o.problems);
  if (c.accept) {
    ASSERT_EQ(o.rec.values.size(), 1u);
    EXPECT_EQ(o.rec.values[0], c.stored);
  } else {
    ASSERT_EQ(o.problems.size(), 1u);
    EXPECT_EQ(o.problems[0].pointer, "/v");
  }
}

using I = std::int64_t;
INSTANTIATE_TEST_SUITE_P(
    integer, types,
    ::testing::Values(
        type_case{field_type::integer, "0", true, I{0}},
        type_case{field_type::integer, "-5", true, I{-5}},
        type_case{field_type::integer, "9223372036854775807", true, I{9223372036854775807}},
        type_case{field_type::integer, "-9223372036854775808", true, std::numeric_limits<I>::min()},
        type_case{field_type::integer, "9223372036854775808", false, {}},
        type_case{field_type::integer, "18446744073709551616", false, {}},
        type_case{field_type::integer, "3.0", false, {}},
        type_case{field_type::integer, "1e2", false, {}},
        type_case{field_type::integer, "\"3\"", false, {}},
        type_case{field_type::integer, "true", false, {}},
        type_case{field_type::integer, "[1]", false, {}}));

INSTANTIATE_TEST_SUITE_P(number, types,
                         ::testing::Values(type_case{field_type::number, "1", true, 1.0},
                                           type_case{field_type::number, "1.5", true, 1.5},
                                           type_case{field_type::number, "-2e3", true, -2000.0},
                                           type_case{field_type::number, "18446744073709551615",
                                                     true, 18446744073709551615.0},
                                           type_case{field_type::number, "\"1\"", false, {}},
                                           type_case{field_type::number, "false", false, {}},
                                           type_case{field_type::number, "{}", false, {}}));

INSTANTIATE_TEST_SUITE_P(boolean, types,
                         ::testing::Values(type_case{field_type::boolean, "true", true, true},
                                           type_case{field_type::boolean, "false", true, false},
                                           type_case{field_type::boolean, "0", false, {}},
                                           type_case{field_type::boolean, "\"true\"", false, {}}));

INSTANTIATE_TEST_SUITE_P(
    string, types,
    ::testing::Values(type_case{field_type::string, R"("abc")", true, std::string("abc")},
                      type_case{field_type::string, R"("")", true, std::string()},
                      type_case{field_type::string, R"("\u00e9\n\"")", true,
                                std::string("\xc3\xa9\n\"")},
                      type_case{field_type::string, R"("a\u0000b")", false, {}},
                      type_case{field_type::string, "1", false, {}},
                      type_case{field_type::string, "true", false, {}},
                      type_case{field_type::string, "[\"a\"]", false, {}}));

INSTANTIATE_TEST_SUITE_P(email, types,
                         ::testing::Values(type_case{field_type::email, R"("a@b.co")", true,
                                                     std::string("a@b.co")},
                                           type_case{field_type::email, R"("A.B@Example.COM")",
                                                     true, std::string("A.B@Example.COM")},
                                           type_case{field_type::email, R"("nope")", false, {}},
                                           type_case{field_type::email, "1", false, {}}));

INSTANTIATE_TEST_SUITE_P(
    timestamp, types,
    ::testing::Values(type_case{field_type::timestamp, R"("2026-11-29T09:00:00Z")", true,
                                std::string("2026-11-29T09:00:00.000000Z")},
                      type_case{field_type::timestamp, R"("2026-11-29T10:30:00+01:30")", true,
                                std::string("2026-11-29T09:00:00.000000Z")},
                      type_case{field_type::timestamp, R"("2026-02-30T00:00:00Z")", false, {}},
                      type_case{field_type::timestamp, "1764406800", false, {}}));

// ---- ranges and lengths -------------------------------------------------------

TEST(validate, integer_and_number_ranges) {
  auto f = make_field("n", field_type::integer);
  f.minimum = 1;
  f.maximum = 10;
  const auto r = one_field(f);
  EXPECT_TRUE(run(r, R"({"n":1})").ok);
  EXPECT_TRUE(run(r, R"({"n":10})").ok);
  auto low = run(r, R"({"n":0})");
  ASSERT_EQ(low.problems.size(), 1u);
  EXPECT_EQ(low.problems[0].detail, "must be at least 1");
  auto high = run(r, R"({"n":11})");
  ASSERT_EQ(high.problems.size(), 1u);
  EXPECT_EQ(high.problems[0].detail, "must be at most 10");

  auto g = make_field("x", field_type::number);
  g.minimum = 0.5;
  const auto rn = one_field(g);
  EXPECT_TRUE(run(rn, R"({"x":0.5})").ok);
  EXPECT_TRUE(run(rn, R"({"x":1})").ok);
  auto below = run(rn, R"({"x":0.49})");
  ASSERT_EQ(below.problems.size(), 1u);
  EXPECT_EQ(below.problems[0].detail, "must be at least 0.5");
}

TEST(validate, int64_bounds_compare_exactly) {
  // 2^63-1 is not representable as a double; the bound must still hold.
  auto f = make_field("n", field_type::integer);
  f.maximum = 9007199254740992.0;  // 2^53
  const auto r = one_field(f);
  EXPECT_TRUE(run(r, R"({"n":9007199254740992})").ok);
  EXPECT_FALSE(run(r, R"({"n":9007199254740993})").ok);
}

struct length_case {
  std::string text;  // JSON string literal contents
  bool accept;
};

TEST(validate, lengths_count_code_points) {
  auto f = make_field("s", field_type::string);
  f.min_length = 2;
  f.max_length = 3;
  const auto r = one_field(f);
  const length_case cases[] = {
      {"a", false},
      {"\xc3\xa9", false},                                         // é: 2 bytes, 1 code point
      {"\xc3\xa9\xc3\xa9", true},                                  // 4 bytes, 2 code points
      {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", true},              // 日本語: 9 bytes, 3
      {"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80", true},  // 3 emoji, 12 bytes
      {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", false},                 // 4 code points
      {"abcd", false},
  };
  for (const auto& c : cases) {
    const json::object o{{"s", c.text}};
    record rec;
    std::vector<problem> ps;
    EXPECT_EQ(validate(r, o, "", rec, ps), c.accept) << c.text << " " << describe(ps);
  }
  std::vector<problem> ps;
  record rec;
  validate(r, json::object{{"s", "a"}}, "", rec, ps);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].detail, "must be at least 2 characters long");
  ps.clear();
  validate(r, json::object{{"s", "abcd"}}, "", rec, ps);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].detail, "must be at most 3 characters long");
}

TEST(validate, invalid_utf8_from_outside_the_parser_is_refused) {
  const auto r = one_field(make_field("s", field_type::string));
  record rec;
  std::vector<problem> ps;
  EXPECT_FALSE(validate(r, json::object{{"s", "a\xff"}}, "", rec, ps));
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].detail, "must be valid UTF-8");
  ps.clear();
  // An unknown member with an invalid name still gives a usable pointer.
  EXPECT_FALSE(validate(r, json::object{{"s", "ok"}, {"b\xffz", 1}}, "", rec, ps));
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].pointer, "/b?z");
}

// ---- presence, unknown fields, pointers ---------------------------------------

resource_def users() {
  auto name = make_field("name", field_type::string, true);
  name.max_length = 5;
  return resource_def{
      "users",
      {name, make_field("email", field_type::email, true), make_field("age", field_type::integer),
       make_field("joined", field_type::timestamp)}};
}

TEST(validate, optional_null_or_absent_is_monostate) {
  const auto r = users();
  for (const char* text : {R"({"name":"a","email":"a@b.co"})",
                           R"({"name":"a","email":"a@b.co","age":null,"joined":null})"}) {
    const auto o = run(r, text);
    ASSERT_TRUE(o.ok) << describe(o.problems);
    ASSERT_EQ(o.rec.values.size(), 4u);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(o.rec.values[2]));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(o.rec.values[3]));
  }
}

TEST(validate, required_missing_or_null) {
  const auto o = run(users(), R"({"email":null})");
  ASSERT_EQ(o.problems.size(), 2u) << describe(o.problems);
  EXPECT_EQ(o.problems[0].pointer, "/name");
  EXPECT_EQ(o.problems[0].detail, "is required");
  EXPECT_EQ(o.problems[1].pointer, "/email");
  EXPECT_EQ(o.problems[1].detail, "is required");
}

TEST(validate, not_an_object) {
  for (const char* text : {"[]", "1", "\"x\"", "null"}) {
    const auto o = run(users(), text, "/3");
    ASSERT_EQ(o.problems.size(), 1u) << text;
    EXPECT_EQ(o.problems[0].pointer, "/3");
    EXPECT_EQ(o.problems[0].detail, "must be a JSON object");
  }
  const auto root = run(users(), "[]");
  EXPECT_EQ(root.problems[0].pointer, "");  // RFC 6901: the whole document
}

TEST(validate, reports_every_problem_with_pointers) {
  const auto o = run(users(),
                     R"({"name":"toolong","email":"x@","age":1.5,"joined":"yesterday",)"
                     R"("a/b":1,"m~n":2,"extra":3})",
                     "/7");
  ASSERT_FALSE(o.ok);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& p : o.problems) got.emplace_back(p.pointer, p.detail);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"/7/name", "must be at most 5 characters long"},
      {"/7/email", "must be an email address"},
      {"/7/age", "must be an integer"},
      {"/7/joined", "must be an RFC 3339 timestamp, e.g. 2026-11-29T09:00:00Z"},
      {"/7/a~1b", "unknown field"},
      {"/7/m~0n", "unknown field"},
      {"/7/extra", "unknown field"},
  };
  EXPECT_EQ(got, want);
}

TEST(validate, failure_leaves_out_untouched) {
  record rec;
  rec.values = {std::string("keep")};
  std::vector<problem> ps;
  EXPECT_FALSE(validate(users(), json::parse(R"({"name":1})"), "", rec, ps));
  ASSERT_EQ(rec.values.size(), 1u);
  EXPECT_EQ(rec.values[0], value(std::string("keep")));
}

// ---- UTF-8 ---------------------------------------------------------------------

TEST(utf8, validity_table) {
  const std::pair<std::string, bool> cases[] = {
      {"", true},
      {"plain ascii", true},
      {"\xc3\xa9", true},
      {"\xe2\x82\xac", true},
      {"\xf0\x9f\x98\x80", true},
      {"\xf4\x8f\xbf\xbf", true},   // U+10FFFF
      {"\xc0\x80", false},          // overlong NUL
      {"\xc1\xbf", false},          // overlong
      {"\xe0\x80\xaf", false},      // overlong '/'
      {"\xed\xa0\x80", false},      // surrogate U+D800
      {"\xf0\x80\x80\xaf", false},  // overlong
      {"\xf4\x90\x80\x80", false},  // above U+10FFFF
      {"\xf5\x80\x80\x80", false},
      {"\x80", false},      // lone continuation
      {"\xc3", false},      // truncated
      {"\xe2\x82", false},  // truncated
      {"\xc3\x28", false},  // bad continuation
      {"\xff", false},
  };
  for (const auto& [s, ok] : cases) EXPECT_EQ(is_valid_utf8(s), ok) << testing::PrintToString(s);
}

TEST(utf8, length_in_code_points) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("\xc3\xa9"), 1u);
  EXPECT_EQ(utf8_length("a\xe2\x82\xac\xf0\x9f\x98\x80"), 3u);
}

// ---- email -----------------------------------------------------------------------

TEST(email, valid) {
  for (const char* s : {"a@b.co", "user.name+tag@example.com", "x@sub.example.org",
                        "o'brien@example.ie", "!#$%&'*+-/=?^_`{|}~@example.com", "a@b-c.example",
                        "A@EXAMPLE.COM", "a@xn--bcher-kva.de", "a@1.example.com", "a@b.c1"}) {
    EXPECT_TRUE(is_valid_email(s)) << s;
  }
  const std::string local64(64, 'a');
  EXPECT_TRUE(is_valid_email(local64 + "@example.com"));
  // 254 in total: 64 + '@' + 189.
  std::string domain =
      std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(57, 'd') + ".com";
  ASSERT_EQ(local64.size() + 1 + domain.size(), 254u);
  EXPECT_TRUE(is_valid_email(local64 + "@" + domain));
}

TEST(email, invalid) {
  for (const char* s :
       {"",          "plain",         "@example.com", "a@",        "a@b",           "a@@b.co",
        "a@b@c.co",  ".a@b.co",       "a.@b.co",      "a..b@b.co", "a b@b.co",      "a\"b@b.co",
        "a(b)@b.co", "a@-b.co",       "a@b-.co",      "a@b..co",   "a@.b.co",       "a@b.co.",
        "a@b_c.co",  "a@[127.0.0.1]", "a@127.0.0.1",  "a@b.c o",   "\xc3\xa9@b.co", "a@\xc3\xa9.co",
        "a\n@b.co"}) {
    EXPECT_FALSE(is_valid_email(s)) << s;
  }
  EXPECT_FALSE(is_valid_email(std::string(65, 'a') + "@example.com"));
  EXPECT_FALSE(is_valid_email("a@" + std::string(64, 'b') + ".com"));  // label > 63
  std::string domain =
      std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(58, 'd') + ".com";
  EXPECT_FALSE(is_valid_email(std::string(64, 'a') + "@" + domain));  // 255 in total
}

// ---- timestamps --------------------------------------------------------------------

TEST(timestamp, normalised) {
  const std::pair<const char*, const char*> cases[] = {
      {"2026-11-29T09:00:00Z", "2026-11-29T09:00:00.000000Z"},
      {"2026-11-29t09:00:00z", "2026-11-29T09:00:00.000000Z"},
      {"2026-11-29 09:00:00Z", "2026-11-29T09:00:00.000000Z"},
      {"2026-11-29T09:00:00.5Z", "2026-11-29T09:00:00.500000Z"},
      {"2026-11-29T09:00:00.123456789Z", "2026-11-29T09:00:00.123456Z"},  // truncated
      {"2026-11-29T09:00:00.999999999Z", "2026-11-29T09:00:00.999999Z"},  // no carry
      {"2026-11-29T10:00:00+01:00", "2026-11-29T09:00:00.000000Z"},
      {"2026-11-29T04:30:00-04:30", "2026-11-29T09:00:00.000000Z"},
      {"2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000000Z"},  // year rolls back
      {"2025-12-31T23:30:00-01:00", "2026-01-01T00:30:00.000000Z"},
      {"2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000000Z"},  // leap day
      {"2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000000Z"},  // divisible by 400
      {"2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00.000000Z"},
      {"2026-11-29T09:00:00+00:00", "2026-11-29T09:00:00.000000Z"},
      {"2026-11-29T09:00:00-00:00", "2026-11-29T09:00:00.000000Z"},
      {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"},
      {"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"},
  };
  for (const auto& [in, want] : cases) {
    std::string out;
    EXPECT_TRUE(normalize_timestamp(in, out)) << in;
    EXPECT_EQ(out, want) << in;
  }
}

TEST(timestamp, refused) {
  for (const char* s : {"",
                        "0000-01-01T00:00:00Z",       // no year 0 in PostgreSQL
                        "0000-12-31T23:00:00Z",
                        "0001-01-01T00:30:00+01:00",  // year 0 once in UTC
                        "2026-11-29",
                        "2026-11-29T09:00Z",
                        "2026-11-29T09:00:00",
                        "2026-11-29X09:00:00Z",
                        "2023-02-29T00:00:00Z",
                        "1900-02-29T00:00:00Z",
                        "2026-04-31T00:00:00Z",
                        "2026-13-01T00:00:00Z",
                        "2026-00-10T00:00:00Z",
                        "2026-01-00T00:00:00Z",
                        "2026-01-32T00:00:00Z",
                        "2026-01-01T24:00:00Z",
                        "2026-01-01T23:60:00Z",
                        "2016-12-31T23:59:60Z",
                        "2026-01-01T00:00:00.Z",
                        "2026-01-01T00:00:00.1234567890Z",
                        "2026-01-01T00:00:00+0100",
                        "2026-01-01T00:00:00+01",
                        "2026-01-01T00:00:00+24:00",
                        "2026-01-01T00:00:00+01:60",
                        "2026-01-01T00:00:00Z ",
                        " 2026-01-01T00:00:00Z",
                        "26-01-01T00:00:00Z",
                        "2026-1-01T00:00:00Z",
                        "+2026-01-01T00:00:00Z",
                        "2026-01-01T00:00:00UTC",
                        "0000-01-01T00:30:00+01:00",
                        "9999-12-31T23:30:00-01:00",
                        "2026-01-01T00:00:00,5Z"}) {
    std::string out;
    EXPECT_FALSE(normalize_timestamp(s, out)) << s;
  }
}

// ---- canonical JSON ----------------------------------------------------------------

resource_def mixed() {
  return resource_def{
      "mixed",
      {make_field("s", field_type::string), make_field("e", field_type::email),
       make_field("i", field_type::integer), make_field("n", field_type::number),
       make_field("b", field_type::boolean), make_field("t", field_type::timestamp)}};
}

TEST(canonical_json, resource_order_and_absent_omitted) {
  const auto r = mixed();
  const auto o = run(r, R"({"b":false,"t":"2026-11-29T10:00:00+01:00","s":"x","i":-3})");
  ASSERT_TRUE(o.ok) << describe(o.problems);
  EXPECT_EQ(to_json(r, o.rec), R"({"s":"x","i":-3,"b":false,"t":"2026-11-29T09:00:00.000000Z"})");
  EXPECT_EQ(to_json(r, record{{{}, {}, {}, {}, {}, {}}}), "{}");
}

TEST(canonical_json, escaping) {
  const auto r = one_field(make_field("s", field_type::string));
  record rec{{std::string("q\" b\\ nl\n tab\t ctl\x01 \xc3\xa9")}};
  const std::string text = to_json(r, rec);
  EXPECT_EQ(text, R"({"s":"q\" b\\ nl\n tab\t ctl\u0001 )"
                  "\xc3\xa9"
                  R"("})");
  EXPECT_EQ(json::parse(text).at("s").as_string(), std::get<std::string>(rec.values[0]));
}

TEST(canonical_json, round_trip) {
  const auto r = mixed();
  const char* inputs[] = {
      R"({"s":"h\u00e9llo \"w\"","e":"a.b+c@example.com","i":9223372036854775807,)"
      R"("n":0.1,"b":true,"t":"2024-02-29T23:59:59.123456789-05:00"})",
      R"({"i":-9223372036854775808,"n":-1e300})",
      R"({"n":3,"s":""})",
      R"({"n":1.7976931348623157e308})",
      R"({"n":5e-324})",
  };
  for (const char* in : inputs) {
    const auto first = run(r, in);
    ASSERT_TRUE(first.ok) << in << describe(first.problems);
    const std::string text = to_json(r, first.rec);
    const auto second = run(r, text);
    ASSERT_TRUE(second.ok) << text << describe(second.problems);
    EXPECT_EQ(first.rec.values, second.rec.values) << text;
    EXPECT_EQ(to_json(r, second.rec), text);  // a fixed point
  }
}

// ---- query literals ----------------------------------------------------------------

struct literal_case {
  field_type type;
  std::string text;
  bool ok;
  value want;
};

void PrintTo(const literal_case& c, std::ostream* os) {
  *os << config::to_string(c.type) << " '" << c.text << "'";
}

class literals : public ::testing::TestWithParam<literal_case> {};

TEST_P(literals, parse) {
  const auto& c = GetParam();
  value v;
  std::string error;
  ASSERT_EQ(parse_literal(make_field("f", c.type), c.text, v, error), c.ok) << error;
  if (c.ok) {
    EXPECT_EQ(v, c.want);
  } else {
    EXPECT_FALSE(error.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    all, literals,
    ::testing::Values(
        literal_case{field_type::integer, "10", true, I{10}},
        literal_case{field_type::integer, "-10", true, I{-10}},
        literal_case{field_type::integer, "007", true, I{7}},
        literal_case{field_type::integer, "9223372036854775807", true, I{9223372036854775807}},
        literal_case{field_type::integer, "9223372036854775808", false, {}},
        literal_case{field_type::integer, "+1", false, {}},
        literal_case{field_type::integer, " 1", false, {}},
        literal_case{field_type::integer, "1.0", false, {}},
        literal_case{field_type::integer, "1e3", false, {}},
        literal_case{field_type::integer, "0x10", false, {}},
        literal_case{field_type::integer, "-", false, {}},
        literal_case{field_type::integer, "", false, {}},
        literal_case{field_type::number, "1.5", true, 1.5},
        literal_case{field_type::number, "-2e3", true, -2000.0},
        literal_case{field_type::number, "7", true, 7.0},
        literal_case{field_type::number, "inf", false, {}},
        literal_case{field_type::number, "nan", false, {}},
        literal_case{field_type::number, "1e400", false, {}},
        literal_case{field_type::number, "1.5x", false, {}},
        literal_case{field_type::number, " 1", false, {}},
        literal_case{field_type::number, "+1", false, {}},
        literal_case{field_type::number, "", false, {}},
        literal_case{field_type::boolean, "true", true, true},
        literal_case{field_type::boolean, "false", true, false},
        literal_case{field_type::boolean, "TRUE", false, {}},
        literal_case{field_type::boolean, "1", false, {}},
        literal_case{field_type::timestamp, "2026-11-29T10:00:00+01:00", true,
                     std::string("2026-11-29T09:00:00.000000Z")},
        literal_case{field_type::timestamp, "2026-11-29", false, {}},
        literal_case{field_type::string, "h\xc3\xa9llo", true, std::string("h\xc3\xa9llo")},
        literal_case{field_type::string, "", true, std::string()},
        literal_case{field_type::string, "a\xff", false, {}},
        literal_case{field_type::string, std::string("a\0b", 3), false, {}},
        literal_case{field_type::email, "a@b.co", true, std::string("a@b.co")},
        literal_case{field_type::email, "%@example.com", true, std::string("%@example.com")}));

}  // namespace
}  // namespace sluice::model
