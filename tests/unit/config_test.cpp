// Configuration loading: the shipped file, every error class (file:line and
// the dotted key in the message), environment overrides, resources and
// subscriptions.

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace sluice::config {
namespace {

using namespace std::chrono_literals;

env_lookup no_env() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A minimal valid resource block, appended to section snippets under test.
const std::string k_users = R"(
[[resources]]
name = "users"
  [[resources.fields]]
  name = "email"
  type = "email"
)";

// The message of the config_error thrown by parsing `text`, or "" if none.
std::string error_of(const std::string& text, const env_lookup& env = no_env()) {
  try {
    parse(text, "x.toml", env);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

TEST(config, shipped_file_loads) {
  const config c = load(SLUICE_SOURCE_DIR "/config/sluice.toml", no_env());
  EXPECT_EQ(c.source, std::filesystem::path(SLUICE_SOURCE_DIR "/config/sluice.toml"));
  // Open (mode none) and therefore on loopback only (issue 12).
  EXPECT_EQ(c.http.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.auth.mode, auth_mode::none);
  EXPECT_FALSE(c.auth.allow_open);
  EXPECT_EQ(c.http.threads, 0u);
  EXPECT_EQ(c.http.body_limit, 1048576u);
  EXPECT_EQ(c.http.json_depth, 64u);
  EXPECT_EQ(c.http.read_timeout, 10'000ms);
  EXPECT_EQ(c.http.shutdown_grace, 10'000ms);
  EXPECT_EQ(c.store.url, "sqlite://data/sluice.db");
  EXPECT_TRUE(c.store.migrate_on_start);
  EXPECT_EQ(c.store.read_timeout, 5'000ms);  // issue 11 #25
  EXPECT_EQ(c.broker.visibility_timeout, 30'000ms);
  EXPECT_EQ(c.broker.max_deliveries, 5u);
  EXPECT_EQ(c.broker.replicas, 1u);
  EXPECT_EQ(c.pipeline.batch_size, 500u);
  EXPECT_EQ(c.pipeline.retry_max, 10'000ms);
  EXPECT_EQ(c.log.level, "info");

  ASSERT_EQ(c.resources.size(), 1u);
  const resource_def* users = c.find_resource("users");
  ASSERT_NE(users, nullptr);
  ASSERT_EQ(users->fields.size(), 2u);
  EXPECT_EQ(users->fields[0].name, "name");
  EXPECT_EQ(users->fields[0].type, field_type::string);
  EXPECT_TRUE(users->fields[0].required);
  EXPECT_EQ(users->fields[0].min_length, 1u);
  EXPECT_EQ(users->fields[0].max_length, 200u);
  const field_def* email = users->find("email");
  ASSERT_NE(email, nullptr);
  EXPECT_EQ(email->type, field_type::email);
  EXPECT_EQ(email->max_length, 320u);
  EXPECT_TRUE(email->indexed);
  EXPECT_EQ(users->find("nope"), nullptr);
  EXPECT_EQ(c.find_resource("orders"), nullptr);

  ASSERT_EQ(c.subscriptions.size(), 1u);
  EXPECT_EQ(c.subscriptions[0].name, "users");
  EXPECT_EQ(c.subscriptions[0].resource, "users");
  EXPECT_EQ(c.subscriptions[0].table, "users");
}

TEST(config, missing_file_is_an_error) {
  try {
    load("/nonexistent/sluice.toml", no_env());
    FAIL() << "no error";
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/sluice.toml"), std::string::npos);
  }
}

TEST(config, defaults_when_sections_are_absent) {
  const config c = parse(k_users, "x.toml", no_env());
  EXPECT_EQ(c.http.listen, http_config{}.listen);
  EXPECT_EQ(c.broker.url, broker_config{}.url);
  EXPECT_EQ(c.pipeline.retry_min, 100ms);
  EXPECT_EQ(c.broker.replicas, 1u);
}

// Issue 11 #11: NATS streams are created with the configured replicas.
TEST(config, broker_replicas_is_read) {
  const config c = parse("[broker]\nreplicas = 3\n" + k_users, "x.toml", no_env());
  EXPECT_EQ(c.broker.replicas, 3u);
}

TEST(config, parse_error_names_file_line_and_column) {
  const std::string e = error_of("[http]\nthreads = = 3\n");
  EXPECT_EQ(e.rfind("x.toml:2:", 0), 0u) << e;
  EXPECT_GT(e.size(), std::string("x.toml:2:1: ").size()) << e;
}

struct error_case {
  const char* name;
  std::string toml;
  std::string expected;  // the message starts with this
};

void PrintTo(const error_case& c, std::ostream* os) {
  *os << c.name;
}

class config_errors : public ::testing::TestWithParam<error_case> {};

TEST_P(config_errors, names_file_line_and_key) {
  const auto& c = GetParam();
  const std::string e = error_of(c.toml);
  EXPECT_TRUE(e.starts_with(c.expected)) << "got: " << e;
}

// Lines count from the first line of the snippet (k_users follows it).
INSTANTIATE_TEST_SUITE_P(
    sections, config_errors,
    ::testing::Values(
        error_case{"unknown_section", "[htp]\nthreads = 1\n" + k_users, "x.toml:1: htp: unknown"},
        error_case{"section_not_table", "http = 3\n" + k_users, "x.toml:1: http: expected a table"},
        error_case{"unknown_key", "[http]\nlisten = \"a:1\"\nthreadz = 2\n" + k_users,
                   "x.toml:3: http.threadz: unknown key"},
        error_case{"wrong_type_string", "[http]\nthreads = \"4\"\n" + k_users,
                   "x.toml:2: http.threads: expected a non-negative integer"},
        error_case{"wrong_type_float", "[http]\nthreads = 4.0\n" + k_users,
                   "x.toml:2: http.threads: expected a non-negative integer"},
        error_case{"negative", "[http]\nthreads = -1\n" + k_users,
                   "x.toml:2: http.threads: must be between 0 and 256"},
        error_case{"threads_too_many", "[http]\nthreads = 257\n" + k_users,
                   "x.toml:2: http.threads: must be between 0 and 256"},
        error_case{"zero_limit", "[http]\nbody_limit = 0\n" + k_users,
                   "x.toml:2: http.body_limit: must be at least 1"},
        error_case{"json_depth", "[http]\njson_depth = 1001\n" + k_users,
                   "x.toml:2: http.json_depth: must be between 1 and 1000"},
        error_case{"listen_no_port", "[http]\nlisten = \"localhost\"\n" + k_users,
                   "x.toml:2: http.listen: must be host:port"},
        error_case{"listen_big_port", "[http]\nlisten = \"localhost:65536\"\n" + k_users,
                   "x.toml:2: http.listen: port must be between 0 and 65535"},
        error_case{"timeout_zero", "[http]\nread_timeout_ms = 0\n" + k_users,
                   "x.toml:2: http.read_timeout_ms: must be between 1 and 86400000"},
        error_case{"bool_type", "[store]\nmigrate_on_start = \"yes\"\n" + k_users,
                   "x.toml:2: store.migrate_on_start: expected a boolean"},
        error_case{"url", "[store]\nurl = \"data/sluice.db\"\n" + k_users,
                   "x.toml:2: store.url: must be a URL"},
        error_case{"max_deliveries", "[broker]\nmax_deliveries = 0\n" + k_users,
                   "x.toml:2: broker.max_deliveries: must be at least 1"},
        error_case{"max_deliveries_type_max", "[broker]\nmax_deliveries = 4294967296\n" + k_users,
                   "x.toml:2: broker.max_deliveries: must be at most 4294967295"},
        error_case{"replicas_zero", "[broker]\nreplicas = 0\n" + k_users,
                   "x.toml:2: broker.replicas: must be between 1 and 5"},
        error_case{"replicas_too_many", "[broker]\nreplicas = 6\n" + k_users,
                   "x.toml:2: broker.replicas: must be between 1 and 5"},
        error_case{"batch_size", "[pipeline]\nbatch_size = 10001\n" + k_users,
                   "x.toml:2: pipeline.batch_size: must be between 1 and 10000"},
        error_case{"retry_order", "[pipeline]\nretry_min_ms = 500\nretry_max_ms = 100\n" + k_users,
                   "x.toml: pipeline.retry_min_ms: must not exceed"},
        error_case{"log_level", "[log]\nlevel = \"verbose\"\n" + k_users,
                   "x.toml:2: log.level: must be one of"}),
    [](const auto& info) { return std::string(info.param.name); });

std::string resource(const std::string& fields, const std::string& name = "users") {
  return "[[resources]]\nname = \"" + name + "\"\n" + fields;
}
std::string field(const std::string& body) {
  return "[[resources.fields]]\n" + body;
}

INSTANTIATE_TEST_SUITE_P(
    resources, config_errors,
    ::testing::Values(
        error_case{"no_resources", "[http]\nthreads = 1\n", "x.toml: resources: at least one"},
        error_case{"empty_resources", "resources = []\n", "x.toml:1: resources: at least one"},
        error_case{"no_fields", resource(""), "x.toml:1: resources[0].fields: at least one"},
        error_case{"max_limit_zero", resource("max_limit = 0\n" + field("name = \"a\"\n")),
                   "x.toml:3: resources[0].max_limit: must be from 1 to 10000"},
        error_case{"max_limit_past_the_cap",
                   resource("max_limit = 10001\n" + field("name = \"a\"\n")),
                   "x.toml:3: resources[0].max_limit: must be from 1 to 10000"},
        error_case{"default_limit_zero", resource("default_limit = 0\n" + field("name = \"a\"\n")),
                   "x.toml:3: resources[0].default_limit: must be at least 1"},
        error_case{"default_limit_above_max",
                   resource("default_limit = 600\nmax_limit = 500\n" + field("name = \"a\"\n")),
                   "x.toml:3: resources[0].default_limit: must not exceed max_limit (500)"},
        error_case{"limit_type", resource("max_limit = \"9\"\n" + field("name = \"a\"\n")),
                   "x.toml:3: resources[0].max_limit: expected a non-negative integer"},
        error_case{"resource_name_missing", "[[resources]]\n" + field("name = \"a\"\n"),
                   "x.toml:1: resources[0].name: is required"},
        error_case{"resource_name_bad", resource(field("name = \"a\"\n"), "Users"),
                   "x.toml:2: resources[0].name: must match"},
        error_case{"resource_name_messages", resource(field("name = \"a\"\n"), "messages"),
                   "x.toml:2: resources[0].name: is reserved"},
        error_case{"resource_name_dead_letters", resource(field("name = \"a\"\n"), "dead_letters"),
                   "x.toml:2: resources[0].name: is reserved"},
        error_case{"resource_name_sluice", resource(field("name = \"a\"\n"), "sluice_x"),
                   "x.toml:2: resources[0].name: is reserved"},
        error_case{"resource_duplicate",
                   resource(field("name = \"a\"\n")) + resource(field("name = \"a\"\n")),
                   "x.toml:6: resources[1].name: duplicate resource name"},
        error_case{"resource_unknown_key", resource("table = \"x\"\n" + field("name = \"a\"\n")),
                   "x.toml:3: resources[0].table: unknown key"},
        error_case{"field_unknown_key", resource(field("name = \"a\"\nmax_len = 3\n")),
                   "x.toml:5: resources[0].fields[0].max_len: unknown key"},
        error_case{"field_name_bad", resource(field("name = \"9a\"\n")),
                   "x.toml:4: resources[0].fields[0].name: must match"},
        error_case{"field_name_reserved", resource(field("name = \"message_id\"\n")),
                   "x.toml:4: resources[0].fields[0].name: is a reserved column"},
        error_case{"field_name_trace_id", resource(field("name = \"trace_id\"\n")),
                   "x.toml:4: resources[0].fields[0].name: is a reserved column"},
        error_case{"field_duplicate", resource(field("name = \"a\"\n") + field("name = \"a\"\n")),
                   "x.toml:6: resources[0].fields[1].name: duplicate field name"},
        error_case{"field_type", resource(field("name = \"a\"\ntype = \"text\"\n")),
                   "x.toml:5: resources[0].fields[0].type: must be one of"},
        error_case{"length_on_integer",
                   resource(field("name = \"a\"\ntype = \"integer\"\nmax_length = 3\n")),
                   "x.toml:6: resources[0].fields[0].max_length: only allowed on string"},
        error_case{"minimum_on_string", resource(field("name = \"a\"\nminimum = 3\n")),
                   "x.toml:5: resources[0].fields[0].minimum: only allowed on integer"},
        error_case{"length_order",
                   resource(field("name = \"a\"\nmin_length = 5\nmax_length = 4\n")),
                   "x.toml:6: resources[0].fields[0].max_length: must not be less than"},
        error_case{"range_order",
                   resource(field("name = \"a\"\ntype = \"number\"\nminimum = 5\nmaximum = 4.5\n")),
                   "x.toml:7: resources[0].fields[0].maximum: must not be less than"},
        error_case{"length_negative", resource(field("name = \"a\"\nmax_length = -1\n")),
                   "x.toml:5: resources[0].fields[0].max_length: expected a non-negative"},
        error_case{"required_type", resource(field("name = \"a\"\nrequired = 1\n")),
                   "x.toml:5: resources[0].fields[0].required: expected a boolean"},
        error_case{"index_type", resource(field("name = \"a\"\nindex = \"yes\"\n")),
                   "x.toml:5: resources[0].fields[0].index: expected a boolean"},
        error_case{"indexed_string_unbounded", resource(field("name = \"sku\"\nindex = true\n")),
                   "x.toml:5: resources[0].fields[0].index: indexed string field \"sku\" needs "
                   "max_length"},
        error_case{"indexed_string_too_long",
                   resource(field("name = \"sku\"\nindex = true\nmax_length = 2001\n")),
                   "x.toml:6: resources[0].fields[0].max_length: indexed string field \"sku\" "
                   "allows at most 2000"},
        error_case{"minimum_nan",
                   resource(field("name = \"a\"\ntype = \"number\"\nminimum = nan\n")),
                   "x.toml:6: resources[0].fields[0].minimum: expected a finite number"}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    subscriptions, config_errors,
    ::testing::Values(
        error_case{"unknown_resource",
                   k_users + "[[subscriptions]]\nname = \"a\"\nresource = \"x\"\n",
                   "x.toml:9: subscriptions[0].resource: no such resource"},
        error_case{"name_bad", k_users + "[[subscriptions]]\nname = \"-a\"\nresource = \"users\"\n",
                   "x.toml:8: subscriptions[0].name: must match"},
        error_case{"name_missing", k_users + "[[subscriptions]]\nresource = \"users\"\n",
                   "x.toml:7: subscriptions[0].name: is required"},
        error_case{"duplicate_name",
                   k_users + "[[subscriptions]]\nname = \"a\"\nresource = \"users\"\n" +
                       "[[subscriptions]]\nname = \"a\"\nresource = \"users\"\ntable = \"b\"\n",
                   "x.toml:11: subscriptions[1].name: duplicate subscription name"},
        error_case{"duplicate_table",
                   k_users + "[[subscriptions]]\nname = \"a\"\nresource = \"users\"\n" +
                       "[[subscriptions]]\nname = \"b\"\nresource = \"users\"\n",
                   "x.toml:10: subscriptions[1].table: already written by subscription \"a\""},
        error_case{
            "table_bad",
            k_users + "[[subscriptions]]\nname = \"a\"\nresource = \"users\"\ntable = \"A\"\n",
            "x.toml:10: subscriptions[0].table: must match"},
        error_case{
            "table_reserved",
            k_users +
                "[[subscriptions]]\nname = \"a\"\nresource = \"users\"\ntable = \"sluice_x\"\n",
            "x.toml:10: subscriptions[0].table: is reserved"},
        error_case{
            "table_of_other_resource",
            k_users + resource(field("name = \"n\"\n"), "orders") +
                "[[subscriptions]]\nname = \"a\"\nresource = \"users\"\ntable = \"orders\"\n",
            "x.toml:14: subscriptions[0].table: is the table of resource \"orders\""},
        error_case{
            "unknown_key",
            k_users + "[[subscriptions]]\nname = \"a\"\nresource = \"users\"\nqueue = \"q\"\n",
            "x.toml:10: subscriptions[0].queue: unknown key"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(config, env_overrides_every_kind) {
  const config c = parse(k_users, "x.toml",
                         env_of({{"SLUICE_HTTP_LISTEN", "127.0.0.1:0"},
                                 {"SLUICE_HTTP_READ_TIMEOUT_MS", "2500"},
                                 {"SLUICE_STORE_URL", "postgres://u:p@db/sluice"},
                                 {"SLUICE_STORE_MIGRATE_ON_START", "false"},
                                 {"SLUICE_BROKER_URL", "nats://127.0.0.1:4222"},
                                 {"SLUICE_PIPELINE_BATCH_SIZE", "10000"},
                                 {"SLUICE_LOG_LEVEL", "debug"},
                                 {"SLUICE_LOG_ACCESS_LOG", "false"}}));
  EXPECT_EQ(c.http.listen, "127.0.0.1:0");
  EXPECT_EQ(c.http.read_timeout, 2500ms);
  EXPECT_EQ(c.store.url, "postgres://u:p@db/sluice");
  EXPECT_FALSE(c.store.migrate_on_start);
  EXPECT_EQ(c.broker.url, "nats://127.0.0.1:4222");
  EXPECT_EQ(c.pipeline.batch_size, 10000u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_FALSE(c.log.access_log);
}

TEST(config, env_overrides_the_file) {
  const config c =
      parse("[http]\nthreads = 4\n" + k_users, "x.toml", env_of({{"SLUICE_HTTP_THREADS", "8"}}));
  EXPECT_EQ(c.http.threads, 8u);
}

TEST(config, env_is_applied_before_cross_checks) {
  // The file alone would fail (min > max); the environment repairs it.
  const config c = parse("[pipeline]\nretry_min_ms = 500\nretry_max_ms = 100\n" + k_users, "x.toml",
                         env_of({{"SLUICE_PIPELINE_RETRY_MAX_MS", "1000"}}));
  EXPECT_EQ(c.pipeline.retry_max, 1000ms);
}

TEST(config, max_pending_below_max_batch_is_refused_naming_both_keys) {
  const std::string e = error_of("[http]\nmax_batch = 50\n[broker]\nmax_pending = 49\n" + k_users);
  EXPECT_NE(e.find("broker.max_pending"), std::string::npos) << e;
  EXPECT_NE(e.find("http.max_batch"), std::string::npos) << e;
  EXPECT_EQ(error_of("[http]\nmax_batch = 50\n[broker]\nmax_pending = 50\n" + k_users), "");
}

// Issue 13: the SNS+SQS keys, read and checked.
TEST(config, snssqs_keys_are_read_and_checked) {
  const config c = parse(
      "[broker]\nurl = \"sns+sqs://eu-west-1\"\naws_endpoint = \"http://127.0.0.1:4566\"\n"
      "fifo = true\nmessage_group_field = \"email\"\n" + k_users,
      "x.toml", no_env());
  EXPECT_EQ(c.broker.aws_endpoint, "http://127.0.0.1:4566");
  EXPECT_TRUE(c.broker.fifo);
  EXPECT_EQ(c.broker.message_group_field, "email");
  const std::string sqs = "[broker]\nurl = \"sns+sqs://us-east-1\"\n";
  EXPECT_NE(error_of(sqs + "aws_endpoint = \"ftp://x\"\n" + k_users).find("broker.aws_endpoint"),
            std::string::npos);
  EXPECT_NE(error_of(sqs + "aws_endpoint = \"http://h:1/path\"\n" + k_users).find("without a path"),
            std::string::npos);
  EXPECT_NE(error_of(sqs + "aws_ca_file = \"/no/such.pem\"\n" + k_users).find("broker.aws_ca_file"),
            std::string::npos);
  EXPECT_NE(error_of(sqs + "message_group_field = \"email\"\n" + k_users).find("needs broker.fifo"),
            std::string::npos);
  EXPECT_NE(error_of(sqs + "fifo = true\nmessage_group_field = \"E-mail\"\n" + k_users)
                .find("broker.message_group_field"),
            std::string::npos);
  EXPECT_NE(error_of(sqs + "visibility_timeout_ms = 43200001\n" + k_users).find("12 h"),
            std::string::npos);
  EXPECT_NE(error_of("[broker]\nfifo = true\n" + k_users).find("only applies to an sns+sqs"),
            std::string::npos);
  EXPECT_EQ(error_of(sqs + "fifo = true\n" + k_users), "");
}

struct env_case {
  const char* name;
  std::string var;
  std::string value;
  std::string expected;
};

void PrintTo(const env_case& c, std::ostream* os) {
  *os << c.name;
}

class env_errors : public ::testing::TestWithParam<env_case> {};

TEST_P(env_errors, name_the_variable) {
  const auto& c = GetParam();
  const std::string e = error_of(k_users, env_of({{c.var, c.value}}));
  EXPECT_EQ(e, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    all, env_errors,
    ::testing::Values(
        env_case{"not_integer", "SLUICE_HTTP_THREADS", "four",
                 "environment variable SLUICE_HTTP_THREADS: http.threads: expected a "
                 "non-negative integer"},
        env_case{"signed", "SLUICE_HTTP_THREADS", "-1",
                 "environment variable SLUICE_HTTP_THREADS: http.threads: expected a "
                 "non-negative integer"},
        env_case{"blank", "SLUICE_HTTP_THREADS", " 4",
                 "environment variable SLUICE_HTTP_THREADS: http.threads: expected a "
                 "non-negative integer"},
        env_case{"range", "SLUICE_HTTP_JSON_DEPTH", "0",
                 "environment variable SLUICE_HTTP_JSON_DEPTH: http.json_depth: must be "
                 "between 1 and 1000"},
        env_case{"overflow", "SLUICE_HTTP_BODY_LIMIT", "99999999999999999999",
                 "environment variable SLUICE_HTTP_BODY_LIMIT: http.body_limit: expected a "
                 "non-negative integer"},
        env_case{"bool", "SLUICE_STORE_MIGRATE_ON_START", "yes",
                 "environment variable SLUICE_STORE_MIGRATE_ON_START: store.migrate_on_start: "
                 "expected a boolean (true or false)"},
        env_case{"listen", "SLUICE_HTTP_LISTEN", "8080",
                 "environment variable SLUICE_HTTP_LISTEN: http.listen: must be host:port, e.g. "
                 "0.0.0.0:8080 or [::1]:8080"},
        env_case{"url_empty", "SLUICE_BROKER_URL", "",
                 "environment variable SLUICE_BROKER_URL: broker.url: must be a URL such as "
                 "sqlite://data/sluice.db"},
        env_case{"level", "SLUICE_LOG_LEVEL", "INFO",
                 "environment variable SLUICE_LOG_LEVEL: log.level: must be one of trace, "
                 "debug, info, warn, error, off"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(config, listen_forms) {
  for (const char* ok : {"0.0.0.0:8080", "127.0.0.1:0", "localhost:65535", "[::1]:9000", "[::]:80",
                         "my-host.example:1"}) {
    EXPECT_NO_THROW(parse(k_users, "x.toml", env_of({{"SLUICE_HTTP_LISTEN", ok}}))) << ok;
  }
  for (const char* bad : {":80", "host:", "host:-1", "host:80x", "[::1:80", "a b:80", "[]:80"}) {
    EXPECT_THROW(parse(k_users, "x.toml", env_of({{"SLUICE_HTTP_LISTEN", bad}})), config_error)
        << bad;
  }
}

TEST(config, declared_subscriptions_replace_the_defaults) {
  const config c = parse(k_users +
                             "[[subscriptions]]\nname = \"users\"\nresource = \"users\"\n"
                             "[[subscriptions]]\nname = \"users-audit\"\nresource = \"users\"\n"
                             "table = \"users_audit\"\n",
                         "x.toml", no_env());
  ASSERT_EQ(c.subscriptions.size(), 2u);
  EXPECT_EQ(c.subscriptions[0].table, "users");
  EXPECT_EQ(c.subscriptions[1].name, "users-audit");
  EXPECT_EQ(c.subscriptions[1].resource, "users");
  EXPECT_EQ(c.subscriptions[1].table, "users_audit");
}

TEST(config, a_second_resource_is_configuration_only) {
  const config c = parse(k_users + R"(
[[resources]]
name = "orders"
  [[resources.fields]]
  name = "sku"
  required = true
  max_length = 64
  index = true
  [[resources.fields]]
  name = "quantity"
  type = "integer"
  minimum = 1
  maximum = 1000
  [[resources.fields]]
  name = "price"
  type = "number"
  minimum = 0.01
  [[resources.fields]]
  name = "gift"
  type = "boolean"
  [[resources.fields]]
  name = "placed_at"
  type = "timestamp"
)",
                         "x.toml", no_env());
  ASSERT_EQ(c.resources.size(), 2u);
  const resource_def* orders = c.find_resource("orders");
  ASSERT_NE(orders, nullptr);
  ASSERT_EQ(orders->fields.size(), 5u);
  EXPECT_EQ(orders->fields[0].type, field_type::string);  // the default type
  EXPECT_TRUE(orders->fields[0].required);
  EXPECT_TRUE(orders->fields[0].indexed);
  EXPECT_EQ(orders->find("quantity")->minimum, 1.0);
  EXPECT_EQ(orders->find("quantity")->maximum, 1000.0);
  EXPECT_EQ(orders->find("price")->minimum, 0.01);
  EXPECT_FALSE(orders->find("price")->maximum.has_value());
  EXPECT_EQ(orders->find("gift")->type, field_type::boolean);
  EXPECT_EQ(orders->find("placed_at")->type, field_type::timestamp);
  ASSERT_EQ(c.subscriptions.size(), 2u);
  EXPECT_EQ(c.subscriptions[1].name, "orders");
  EXPECT_EQ(c.subscriptions[1].table, "orders");
}

TEST(config, page_limits_per_resource) {
  auto two = parse(resource("default_limit = 20\nmax_limit = 5000\n" + field("name = \"a\"\n")) +
                       resource(field("name = \"b\"\n"), "plain") +
                       resource("max_limit = 50\n" + field("name = \"c\"\n"), "small"),
                   "x.toml", no_env());
  ASSERT_EQ(two.resources.size(), 3u);
  EXPECT_EQ(two.resources[0].default_limit, 20u);
  EXPECT_EQ(two.resources[0].max_limit, 5000u);
  EXPECT_EQ(two.resources[1].default_limit, 100u);  // the defaults
  EXPECT_EQ(two.resources[1].max_limit, 1000u);
  EXPECT_EQ(two.resources[2].default_limit, 50u);  // follows a smaller max_limit
  EXPECT_EQ(two.resources[2].max_limit, 50u);
}

TEST(config, field_type_names) {
  EXPECT_EQ(to_string(field_type::string), "string");
  EXPECT_EQ(to_string(field_type::email), "email");
  EXPECT_EQ(to_string(field_type::integer), "integer");
  EXPECT_EQ(to_string(field_type::number), "number");
  EXPECT_EQ(to_string(field_type::boolean), "boolean");
  EXPECT_EQ(to_string(field_type::timestamp), "timestamp");
}

TEST(config, store_password_never_from_the_file) {
  EXPECT_TRUE(error_of("[store]\nurl = \"postgres://u:secret@db/s\"\n" + k_users)
                  .starts_with("x.toml:2: store.url: must not contain a password"));
  EXPECT_TRUE(error_of("[store]\nurl = \"postgres://u@db/s?password=secret\"\n" + k_users)
                  .starts_with("x.toml:2: store.url: must not contain a password"));
  EXPECT_EQ(error_of("[store]\nurl = \"postgres://u:secret@db/s\"\n" + k_users).find("secret"),
            std::string::npos);
  // From the environment it may carry one (masked in logs by app::mask_password).
  const config c = parse(k_users, "x.toml", env_of({{"SLUICE_STORE_URL", "postgres://u:p@db/s"}}));
  EXPECT_EQ(c.store.url, "postgres://u:p@db/s");
  const config d = parse("[store]\nurl = \"postgres://u@db/s?sslmode=require\"\npool_size = 8\n"
                         "statement_timeout_ms = 1000\nread_timeout_ms = 250\n"
                         "password_file = \"/run/secrets/pg\"\n" + k_users,
                         "x.toml", no_env());
  EXPECT_EQ(d.store.pool_size, 8u);
  EXPECT_EQ(d.store.statement_timeout, 1000ms);
  EXPECT_EQ(d.store.read_timeout, 250ms);
  EXPECT_EQ(d.store.password_file, "/run/secrets/pg");
}

// Issue 12: [auth] names, defaults, checks and SLUICE_AUTH_* overrides.
TEST(config, auth_defaults_to_required) {
  const config c = parse(k_users, "x.toml", no_env());
  EXPECT_EQ(c.auth.mode, auth_mode::required);
  EXPECT_FALSE(c.auth.allow_open);
  EXPECT_EQ(c.auth.jwt_scope_claim, "scope");
  EXPECT_EQ(c.auth.jwt_leeway_s, 60u);
  EXPECT_EQ(c.auth.default_rate, 0u);
  EXPECT_TRUE(c.auth.keys_file.empty());
}

TEST(config, auth_section_is_read) {
  const config c = parse(R"([auth]
mode = "none"
allow_open = true
keys_file = "/etc/sluice/keys.json"
pepper_file = "/run/secrets/pepper"
jwks_file = "/etc/sluice/jwks.json"
jwt_pem_file = "/etc/sluice/jwt.pem"
jwt_issuer = "https://id.example"
jwt_audience = "sluice"
jwt_scope_claim = "scp"
jwt_leeway_s = 5
default_rate = 250
)" + k_users,
                         "x.toml", no_env());
  EXPECT_EQ(c.auth.mode, auth_mode::none);
  EXPECT_TRUE(c.auth.allow_open);
  EXPECT_EQ(c.auth.keys_file, "/etc/sluice/keys.json");
  EXPECT_EQ(c.auth.pepper_file, "/run/secrets/pepper");
  EXPECT_EQ(c.auth.jwks_file, "/etc/sluice/jwks.json");
  EXPECT_EQ(c.auth.jwt_pem_file, "/etc/sluice/jwt.pem");
  EXPECT_EQ(c.auth.jwt_issuer, "https://id.example");
  EXPECT_EQ(c.auth.jwt_audience, "sluice");
  EXPECT_EQ(c.auth.jwt_scope_claim, "scp");
  EXPECT_EQ(c.auth.jwt_leeway_s, 5u);
  EXPECT_EQ(c.auth.default_rate, 250u);
}

TEST(config, auth_env_overrides) {
  const config c = parse(k_users, "x.toml",
                         env_of({{"SLUICE_AUTH_MODE", "none"},
                                 {"SLUICE_AUTH_ALLOW_OPEN", "true"},
                                 {"SLUICE_AUTH_KEYS_FILE", "k.json"},
                                 {"SLUICE_AUTH_DEFAULT_RATE", "9"},
                                 {"SLUICE_AUTH_JWT_LEEWAY_S", "0"}}));
  EXPECT_EQ(c.auth.mode, auth_mode::none);
  EXPECT_TRUE(c.auth.allow_open);
  EXPECT_EQ(c.auth.keys_file, "k.json");
  EXPECT_EQ(c.auth.default_rate, 9u);
  EXPECT_EQ(c.auth.jwt_leeway_s, 0u);
}

TEST(config, auth_bad_values_are_refused_naming_the_key) {
  EXPECT_NE(error_of("[auth]\nmode = \"open\"\n" + k_users).find("auth.mode"), std::string::npos);
  EXPECT_NE(error_of("[auth]\nmode = true\n" + k_users).find("auth.mode"), std::string::npos);
  EXPECT_NE(error_of("[auth]\njwt_leeway_s = 99999\n" + k_users).find("auth.jwt_leeway_s"),
            std::string::npos);
  EXPECT_NE(error_of("[auth]\njwt_scope_claim = \"\"\n" + k_users).find("auth.jwt_scope_claim"),
            std::string::npos);
  EXPECT_NE(error_of("[auth]\npepper = \"x\"\n" + k_users).find("unknown key"), std::string::npos);
  EXPECT_NE(error_of(k_users, env_of({{"SLUICE_AUTH_MODE", "off"}})).find("SLUICE_AUTH_MODE"),
            std::string::npos);
}

// TLS keys (issue 12, TLS on the listener): each file must be there, a
// certificate needs its key (and back), a client CA needs TLS, the key is a
// path and never PEM text; errors name the key. Also from the environment.
class tls_files : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("sluice-config-tls-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    for (const char* f : {"cert.pem", "key.pem", "ca.pem"}) std::ofstream(dir_ / f) << "x";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const char* name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(tls_files, cert_key_and_client_ca_are_read_from_the_file_and_the_environment) {
  const config c = parse("[http]\ntls_cert_file = \"" + file("cert.pem") + "\"\ntls_key_file = \"" +
                             file("key.pem") + "\"\nops_listen = \"127.0.0.1:9090\"\n" + k_users,
                         "x.toml", env_of({{"SLUICE_HTTP_TLS_CLIENT_CA_FILE", file("ca.pem")}}));
  EXPECT_EQ(c.http.tls_cert_file, file("cert.pem"));
  EXPECT_EQ(c.http.tls_key_file, file("key.pem"));
  EXPECT_EQ(c.http.tls_client_ca_file, file("ca.pem"));
  EXPECT_EQ(c.http.ops_listen, "127.0.0.1:9090");
  const config plain = parse(k_users, "x.toml", no_env());
  EXPECT_TRUE(plain.http.tls_cert_file.empty());
  EXPECT_TRUE(plain.http.ops_listen.empty());
}

TEST_F(tls_files, refusals_name_the_key) {
  const std::string cert = "[http]\ntls_cert_file = \"" + file("cert.pem") + "\"\n";
  EXPECT_EQ(error_of(cert + k_users),
            "x.toml: http.tls_key_file: required when http.tls_cert_file is set");
  EXPECT_EQ(error_of("[http]\ntls_key_file = \"" + file("key.pem") + "\"\n" + k_users),
            "x.toml: http.tls_cert_file: required when http.tls_key_file is set");
  EXPECT_EQ(
      error_of("[http]\ntls_client_ca_file = \"" + file("ca.pem") + "\"\n" + k_users),
      "x.toml: http.tls_client_ca_file: needs TLS: set http.tls_cert_file and http.tls_key_file");
  EXPECT_EQ(error_of(cert + "tls_key_file = \"" + file("missing.pem") + "\"\n" + k_users),
            "x.toml: http.tls_key_file: no such file: " + file("missing.pem"));
  EXPECT_EQ(error_of(k_users, env_of({{"SLUICE_HTTP_TLS_CERT_FILE", file("nope.pem")},
                                      {"SLUICE_HTTP_TLS_KEY_FILE", file("key.pem")}})),
            "x.toml: http.tls_cert_file: no such file: " + file("nope.pem"));
  EXPECT_EQ(error_of(cert + "tls_key_file = \"-----BEGIN PRIVATE KEY-----\"\n" + k_users),
            "x.toml:3: http.tls_key_file: must be the path of a PEM file, not its contents");
  EXPECT_EQ(error_of("[http]\nops_listen = \"nowhere\"\n" + k_users),
            "x.toml:2: http.ops_listen: must be host:port, e.g. 0.0.0.0:8080 or [::1]:8080");
  EXPECT_EQ(
      error_of("[http]\nlisten = \"127.0.0.1:8080\"\nops_listen = \"127.0.0.1:8080\"\n" + k_users),
      "x.toml: http.ops_listen: must differ from http.listen");
}

// Issue 12: trusted proxies, per-address and per-scope rates, client
// certificate mappings.
TEST(config, trusted_proxies_are_an_array_or_a_comma_separated_string) {
  const config c = parse("[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"fd00::/8\"]\n" + k_users,
                         "x.toml", no_env());
  EXPECT_EQ(c.http.trusted_proxies, "10.0.0.0/8, fd00::/8");
  EXPECT_TRUE(parse(k_users, "x.toml", no_env()).http.trusted_proxies.empty());
  const config e =
      parse(k_users, "x.toml", env_of({{"SLUICE_HTTP_TRUSTED_PROXIES", "192.168.0.0/16,::1"}}));
  EXPECT_EQ(e.http.trusted_proxies, "192.168.0.0/16,::1");
}

TEST(config, bad_trusted_proxies_are_refused_naming_the_key) {
  auto err = error_of("[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"10.1.0.0/8\"]\n" + k_users);
  EXPECT_NE(err.find("x.toml:2: http.trusted_proxies:"), std::string::npos) << err;
  EXPECT_NE(err.find("10.1.0.0/8"), std::string::npos) << err;
  EXPECT_NE(error_of("[http]\ntrusted_proxies = [1]\n" + k_users).find("http.trusted_proxies"),
            std::string::npos);
  err = error_of(k_users, env_of({{"SLUICE_HTTP_TRUSTED_PROXIES", "lan"}}));
  EXPECT_NE(err.find("SLUICE_HTTP_TRUSTED_PROXIES"), std::string::npos) << err;
  EXPECT_NE(err.find("http.trusted_proxies"), std::string::npos) << err;
}

TEST(config, anonymous_rate_and_its_table_bound) {
  const config d = parse(k_users, "x.toml", no_env());
  EXPECT_EQ(d.auth.anonymous_rate, 0u);
  EXPECT_EQ(d.auth.anonymous_max_addresses, 65536u);
  const config c = parse("[auth]\nanonymous_rate = 20\nanonymous_max_addresses = 1000\n" + k_users,
                         "x.toml", no_env());
  EXPECT_EQ(c.auth.anonymous_rate, 20u);
  EXPECT_EQ(c.auth.anonymous_max_addresses, 1000u);
  EXPECT_NE(error_of("[auth]\nanonymous_max_addresses = 0\n" + k_users)
                .find("auth.anonymous_max_addresses: must be between 16"),
            std::string::npos);
  EXPECT_NE(error_of("[auth]\nanonymous_rate = -1\n" + k_users).find("auth.anonymous_rate"),
            std::string::npos);
}

TEST(config, rates_per_scope_are_read) {
  const config c = parse(R"([auth]
default_rate = 10
[auth.rates]
"publish:users" = 500
"read:*" = 2000
"*" = 0
status = 7
)" + k_users,
                         "x.toml", no_env());
  EXPECT_EQ(c.auth.default_rate, 10u);
  ASSERT_EQ(c.auth.rates.size(), 4u);
  EXPECT_EQ(c.auth.rates.at("publish:users"), 500u);
  EXPECT_EQ(c.auth.rates.at("read:*"), 2000u);
  EXPECT_EQ(c.auth.rates.at("*"), 0u);
  EXPECT_EQ(c.auth.rates.at("status"), 7u);
}

TEST(config, bad_rates_are_refused_naming_the_key) {
  EXPECT_EQ(error_of("[auth.rates]\n\"write:users\" = 5\n" + k_users).rfind(
                "x.toml:2: auth.rates.\"write:users\": not a scope", 0),
            0u);
  EXPECT_EQ(error_of("[auth.rates]\n\"read:users\" = -5\n" + k_users),
            "x.toml:2: auth.rates.\"read:users\": must be between 0 and 1000000000");
  EXPECT_EQ(error_of("[auth.rates]\n\"read:users\" = \"fast\"\n" + k_users),
            "x.toml:2: auth.rates.\"read:users\": expected a non-negative integer (records per second)");
  EXPECT_EQ(error_of("[auth.rates]\n\"read:orders\" = 5\n" + k_users),
            "x.toml: auth.rates.\"read:orders\": no such resource is configured");
  EXPECT_NE(error_of("[auth]\nrates = 5\n" + k_users).find("auth.rates: expected a table"),
            std::string::npos);
}

TEST_F(tls_files, client_cert_mappings_are_read) {
  const std::string tls = "[http]\ntls_cert_file = \"" + file("cert.pem") + "\"\ntls_key_file = \"" +
                          file("key.pem") + "\"\ntls_client_ca_file = \"" + file("ca.pem") + "\"\n";
  const config c = parse(tls + R"(
[[auth.client_certs]]
subject = "CN=ingest-1,O=Acme"
scopes = ["publish:users", "status"]
rate = 40

[[auth.client_certs]]
san = "URI:spiffe://acme/reader"
name = "reader"
scopes = ["read:*"]
)" + k_users,
                         "x.toml", no_env());
  ASSERT_EQ(c.auth.client_certs.size(), 2u);
  const auto& a = c.auth.client_certs[0];
  EXPECT_EQ(a.subject, "CN=ingest-1,O=Acme");
  EXPECT_EQ(a.name, "CN=ingest-1,O=Acme");  // the subject when no name is given
  EXPECT_EQ(a.scopes, (std::vector<std::string>{"publish:users", "status"}));
  EXPECT_EQ(a.rate, std::optional<std::uint64_t>(40));
  const auto& b = c.auth.client_certs[1];
  EXPECT_EQ(b.san, "URI:spiffe://acme/reader");
  EXPECT_EQ(b.name, "reader");
  EXPECT_FALSE(b.rate);
}

TEST_F(tls_files, bad_client_cert_mappings_are_refused_naming_the_key) {
  const std::string tls = "[http]\ntls_cert_file = \"" + file("cert.pem") + "\"\ntls_key_file = \"" +
                          file("key.pem") + "\"\ntls_client_ca_file = \"" + file("ca.pem") + "\"\n";
  struct bad_case {
    std::string entry, needle;
  };
  const bad_case cases[] = {
      {"scopes = [\"read:users\"]", "auth.client_certs[0]: needs exactly one of subject and san"},
      {"subject = \"CN=a\"\nsan = \"DNS:a\"\nscopes = [\"read:users\"]",
       "auth.client_certs[0]: needs exactly one of subject and san"},
      {"subject = \"CN=a\"", "auth.client_certs[0].scopes: is required"},
      {"subject = \"CN=a\"\nscopes = []", "auth.client_certs[0].scopes: must name at least one scope"},
      {"subject = \"CN=a\"\nscopes = [\"write:users\"]", "auth.client_certs[0].scopes: \"write:users\" is not a scope"},
      {"subject = \"CN=a\"\nscopes = [\"read:orders\"]", "auth.client_certs[0].scopes: \"read:orders\": no such resource"},
      {"san = \"ingest.acme\"\nscopes = [\"read:users\"]", "auth.client_certs[0].san: must be a typed name"},
      {"subject = \"CN=a\"\nscopes = [\"read:users\"]\nrate = -1", "auth.client_certs[0].rate: must be between 0"},
      {"subject = \"CN=a\"\nscopes = [\"read:users\"]\nrole = \"x\"", "auth.client_certs[0].role: unknown key"},
      {"subject = \"CN=a\"\nscopes = [\"read:users\"]\n[[auth.client_certs]]\nsubject = \"CN=a\"\nscopes = [\"status\"]",
       "auth.client_certs[1]: a second entry for the subject CN=a"},
      {"subject = \"CN=a\"\nname = \"x\"\nscopes = [\"read:users\"]\n[[auth.client_certs]]\nsubject = \"CN=b\"\nname = \"x\"\nscopes = [\"status\"]",
       "auth.client_certs[1].name: \"x\" is used twice"},
  };
  for (const auto& c : cases) {
    auto err = error_of(tls + "[[auth.client_certs]]\n" + c.entry + "\n" + k_users);
    EXPECT_NE(err.find(c.needle), std::string::npos) << c.entry << "\n→ " << err;
  }
  // Without a client CA no certificate is ever verified, so none could map.
  EXPECT_EQ(error_of("[[auth.client_certs]]\nsubject = \"CN=a\"\nscopes = [\"status\"]\n" + k_users),
            "x.toml: auth.client_certs: needs http.tls_client_ca_file (only certificates verified "
            "against it are mapped)");
}
}  // namespace
}  // namespace sluice::config
