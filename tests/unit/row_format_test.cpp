// model/row_format: the one formatter of rows as CSV and NDJSON, by tables.

#include <gtest/gtest.h>

#include "model/row_format.hpp"

namespace sluice::model {
namespace {

TEST(row_format, csv_fields_quote_as_copy_does) {
  const std::pair<const char*, const char*> cases[] = {
      {"plain", "plain"},        {"", "\"\""},
      {"a,b", "\"a,b\""},        {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"two\nlines", "\"two\nlines\""}, {"cr\rhere", "\"cr\rhere\""},
      {"caf\xc3\xa9", "caf\xc3\xa9"},  {"\\.", "\\."},
  };
  for (const auto& [in, want] : cases) {
    std::string out;
    append_csv_field(out, in);
    EXPECT_EQ(out, want) << in;
  }
}

TEST(row_format, number_text_is_postgresql_float8_form) {
  const std::pair<double, const char*> cases[] = {
      {0, "0"},          {3, "3"},          {1.5, "1.5"},
      {-0.25, "-0.25"},  {0.0001, "0.0001"}, {0.00001, "1e-05"},
      {1e15, "1e+15"},   {123456789012345, "123456789012345"},
      {1234567890123456, "1.234567890123456e+15"}, {0.1, "0.1"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(number_text(in), want) << in;
}

const std::vector<std::string> k_columns{"id", "message_id", "received_at", "stored_at",
                                         "name", "age", "vip", "score"};

TEST(row_format, csv_of_a_page) {
  const std::string page =
      R"([{"id":1,"name":"Ada, \"A\"","age":36,"vip":true,"score":1.5,"message_id":"m1",)"
      R"("received_at":"2026-12-01T00:00:00.000000Z","stored_at":"2026-12-01T00:00:01.000000Z"},)"
      R"({"id":2,"name":"","age":null,"vip":false,"score":1e+20,"message_id":"m2",)"
      R"("received_at":"r","stored_at":"s"}])";
  std::string out;
  ASSERT_TRUE(format_rows(row_format::csv, k_columns, page, "\r\n", out));
  EXPECT_EQ(out,
            "id,message_id,received_at,stored_at,name,age,vip,score\r\n"
            "1,m1,2026-12-01T00:00:00.000000Z,2026-12-01T00:00:01.000000Z,\"Ada, \"\"A\"\"\",36,"
            "true,1.5\r\n"
            "2,m2,r,s,\"\",,false,1e+20\r\n");
  // An empty page is the header alone.
  ASSERT_TRUE(format_rows(row_format::csv, k_columns, "[]", "\r\n", out));
  EXPECT_EQ(out, "id,message_id,received_at,stored_at,name,age,vip,score\r\n");
  // A column the object lacks (select=) is NULL.
  ASSERT_TRUE(format_rows(row_format::csv, {"id", "name"}, R"([{"id":7}])", "\n", out));
  EXPECT_EQ(out, "id,name\n7,\n");
}

TEST(row_format, ndjson_keeps_each_row_verbatim) {
  const std::string page =
      R"([{"id":1,"name":"a],[b} {\"x\"","n":1.50},{"id":2,"o":{"k":[1,2]}} , {"id":3}])";
  std::string out;
  ASSERT_TRUE(format_rows(row_format::ndjson, k_columns, page, "\r\n", out));
  EXPECT_EQ(out, "{\"id\":1,\"name\":\"a],[b} {\\\"x\\\"\",\"n\":1.50}\n"
                 "{\"id\":2,\"o\":{\"k\":[1,2]}}\n{\"id\":3}\n");
  // Line breaks between tokens (never inside a string) stay off the line.
  ASSERT_TRUE(format_rows(row_format::ndjson, k_columns, "[{\"id\":1,\n\"a\":\"x\\ny\"}]", "\n", out));
  EXPECT_EQ(out, "{\"id\":1, \"a\":\"x\\ny\"}\n");
  ASSERT_TRUE(format_rows(row_format::ndjson, k_columns, " [ ] ", "\n", out));
  EXPECT_EQ(out, "");
}

TEST(row_format, json_is_unchanged) {
  std::string out;
  ASSERT_TRUE(format_rows(row_format::json, k_columns, R"([{"id":1}])", "\n", out));
  EXPECT_EQ(out, R"([{"id":1}])");
}

TEST(row_format, not_an_array_of_objects_is_refused) {
  for (const char* bad : {"", "{}", "[1]", "[{\"id\":1},]", "[{\"id\":1}", "[{\"id\":1} {}]",
                          "[\"x\"]", "[,{}]", "[{i]]", "[{\"a\":[1}]]"}) {
    std::string out;
    EXPECT_FALSE(format_rows(row_format::ndjson, k_columns, bad, "\n", out)) << bad;
    EXPECT_FALSE(format_rows(row_format::csv, k_columns, bad, "\n", out)) << bad;
  }
}

TEST(row_format, media_types) {
  EXPECT_EQ(media_type(row_format::json), "application/json");
  EXPECT_EQ(media_type(row_format::csv), "text/csv; charset=utf-8; header=present");
  EXPECT_EQ(media_type(row_format::ndjson), "application/x-ndjson");
}

}  // namespace
}  // namespace sluice::model
