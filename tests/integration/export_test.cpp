// `sluice export` (issue 14) through the real binary, on SQLite and on
// PostgreSQL: the CSV loads into a fresh PostgreSQL table with psql's COPY
// FROM, and reading that table back in the export's own form gives the file
// byte for byte (row by row, every type, NULLs, quotes, commas, line breaks,
// Unicode); --after resumes; NDJSON equals GET's rows; --gzip; the range.

#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/postgres_server.hpp"

namespace sluice::testing {
namespace {

const char* const k_config = R"(
[http]
listen = "127.0.0.1:0"
[log]
access_log = false
[[resources]]
name = "things"
  [[resources.fields]]
  name = "label"
  type = "string"
  [[resources.fields]]
  name = "count"
  type = "integer"
  [[resources.fields]]
  name = "ratio"
  type = "number"
  [[resources.fields]]
  name = "ok"
  type = "boolean"
  [[resources.fields]]
  name = "seen_at"
  type = "timestamp"
  [[resources.fields]]
  name = "contact"
  type = "email"
)";

// Records with the values a CSV writer gets wrong.
const std::vector<std::string> k_records = {
    R"({"label":"plain","count":1,"ratio":0.1,"ok":true,"seen_at":"2026-12-01T10:00:00Z","contact":"a@x.test"})",
    R"({"label":"comma, and \"quotes\"","count":-2,"ratio":1e300,"ok":false,"seen_at":"2026-12-01T10:00:00.5+02:00"})",
    R"({"label":"two\nlines\r\nand a tab\t","count":9007199254740993,"ratio":-0.000123})",
    R"({"label":"","count":0,"ratio":3.0})",
    R"({"label":"\\.","ok":true})",
    R"({"label":"Ünïcödé ☃ 𝄞"})",
    R"({})",
};

std::string run(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

class export_cli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    pg_ = postgres_server::shared();
    ASSERT_NE(pg_, nullptr) << "PostgreSQL unavailable";
    cfg_ = dir_.write("things.toml", k_config);
    if (GetParam() == "postgres") {
      store_url_ = pg_->create_database();
      ASSERT_FALSE(store_url_.empty());
      env_["SLUICE_STORE_URL"] = store_url_;
    } else {
      env_["SLUICE_STORE_URL"] = "sqlite://" + (dir_.path() / "sluice.db").string();
    }
    proc_ = std::make_unique<sluice_process>("serve", cfg_, dir_.path(), env_);
    ASSERT_TRUE(proc_->start()) << proc_->log();
    http_client c(proc_->port());
    for (const auto& r : k_records) {
      auto res = c.post("/v1/things", r, {{"Prefer", "wait=10"}});
      ASSERT_EQ(res.status, 201) << r << " " << res.body;
    }
  }
  void TearDown() override {
    if (proc_) {
      EXPECT_EQ(proc_->stop(), 0) << proc_->log();
    }
  }

  // sluice export with `args`; the exit code in *rc.
  std::string sluice_export(const std::string& args, int* rc) {
    std::string env;
    for (const auto& [k, v] : env_) env += k + "=" + quoted(v) + " ";
    // The SQLite store lives in the data dir: the export runs there too.
    return run("cd " + quoted(dir_.path().string()) + " && " + env + quoted(SLUICE_BINARY) +
                   " export --config " + quoted(cfg_.string()) + " --resource things " + args +
                   " 2>" + quoted((dir_.path() / "export.err").string()),
               rc);
  }
  std::string export_err() { return read_file(dir_.path() / "export.err"); }

  temp_dir dir_;
  postgres_server* pg_ = nullptr;
  std::filesystem::path cfg_;
  std::string store_url_;
  std::map<std::string, std::string> env_{{"SLUICE_LOG_ACCESS_LOG", "false"}};
  std::unique_ptr<sluice_process> proc_;
};

const std::string k_range = "--since 2000-01-01T00:00:00Z --until 2100-01-01T00:00:00Z";

TEST_P(export_cli, csv_loads_into_postgresql_with_copy_and_reads_back_row_by_row) {
  const auto file = dir_.path() / "things.csv";
  int rc = -1;
  sluice_export(k_range + " --format csv --out " + quoted(file.string()), &rc);
  ASSERT_EQ(rc, 0) << export_err();
  EXPECT_NE(export_err().find(std::to_string(k_records.size()) + " rows"), std::string::npos)
      << export_err();
  const std::string csv = read_file(file);
  ASSERT_EQ(
      csv.rfind("id,message_id,received_at,stored_at,label,count,ratio,ok,seen_at,contact\n", 0),
      0u)
      << csv;

  // A fresh table in a fresh database, loaded by PostgreSQL's own COPY FROM.
  const std::string target = pg_->create_database();
  ASSERT_FALSE(target.empty());
  const std::string psql = "psql -X -q -v ON_ERROR_STOP=1 " + quoted(target) + " ";
  run(psql + "-f " +
          quoted(dir_.write("create.sql",
                            "CREATE TABLE loaded (id bigint PRIMARY KEY, message_id uuid NOT NULL, "
                            "received_at timestamptz NOT NULL, stored_at timestamptz NOT NULL, "
                            "label text, count bigint, ratio double precision, ok boolean, "
                            "seen_at timestamptz, contact text)")
                     .string()),
      &rc);
  ASSERT_EQ(rc, 0);
  auto loaded =
      run(psql + "-f " +
              quoted(dir_.write("load.sql", "\\copy loaded FROM " + quoted(file.string()) +
                                                " WITH (FORMAT csv, HEADER true)\n")
                         .string()) +
              " 2>&1",
          &rc);
  ASSERT_EQ(rc, 0) << loaded;
  EXPECT_EQ(postgres_server::query_int(target, "SELECT count(*) FROM loaded"),
            static_cast<std::int64_t>(k_records.size()));
  // Read back in the export's form: every row, every value, the same bytes.
  const std::string ts = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";
  auto tsq = [&](const std::string& c) {
    return "to_char(" + c + " AT TIME ZONE 'UTC', " + ts + ") AS " + c;
  };
  const std::string back_sql =
      "COPY (SELECT id, message_id, " + tsq("received_at") + ", " + tsq("stored_at") +
      ", label, count, ratio, CASE WHEN ok THEN 'true' WHEN NOT ok THEN 'false' END AS ok, " +
      tsq("seen_at") +
      ", contact FROM loaded ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)";
  auto back = run(psql + "-f " + quoted(dir_.write("back.sql", back_sql).string()), &rc);
  ASSERT_EQ(rc, 0);
  std::istringstream a(csv), b(back);
  std::string la, lb;
  int line = 0;
  while (std::getline(a, la)) {
    ASSERT_TRUE(std::getline(b, lb)) << "line " << line;
    EXPECT_EQ(la, lb) << "line " << line;
    ++line;
  }
  EXPECT_FALSE(std::getline(b, lb)) << "extra: " << lb;
  EXPECT_EQ(csv, back);
  // The values themselves, as GET serves them, match the loaded table.
  EXPECT_EQ(postgres_server::query_int(target,
                                       "SELECT count(*) FROM loaded WHERE label = "
                                       "E'two\\nlines\\r\\nand a tab\\t' AND count = "
                                       "9007199254740993"),
            1);
  EXPECT_EQ(postgres_server::query_int(target, "SELECT count(*) FROM loaded WHERE label = ''"), 1);
  EXPECT_EQ(postgres_server::query_int(target, "SELECT count(*) FROM loaded WHERE label IS NULL"),
            1);
  EXPECT_EQ(postgres_server::query_int(target, "SELECT count(*) FROM loaded WHERE label = '\\.'"),
            1);
}

TEST_P(export_cli, after_resumes_ndjson_matches_get_gzip_and_the_range) {
  int rc = -1;
  auto all = sluice_export(k_range + " --format ndjson", &rc);
  ASSERT_EQ(rc, 0) << export_err();
  http_client c(proc_->port());
  auto page = parse_json(c.get("/v1/things?limit=100").body).as_array();
  ASSERT_EQ(page.size(), k_records.size());
  std::istringstream lines(all);
  std::string line;
  std::size_t i = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(i, page.size());
    EXPECT_EQ(parse_json(line), page[i]) << line;
    ++i;
  }
  EXPECT_EQ(i, page.size());

  // Resume past the third row: the rest, in order.
  const auto third = page[2].at("id").as_int64();
  auto rest = sluice_export(k_range + " --format ndjson --after " + std::to_string(third), &rc);
  ASSERT_EQ(rc, 0) << export_err();
  std::istringstream rest_lines(rest);
  std::size_t j = 3;
  while (std::getline(rest_lines, line)) {
    ASSERT_LT(j, page.size());
    EXPECT_EQ(parse_json(line), page[j]);
    ++j;
  }
  EXPECT_EQ(j, page.size());
  EXPECT_NE(export_err().find("last id " + std::to_string(page.back().at("id").as_int64())),
            std::string::npos)
      << export_err();

  // gzip: the same bytes once decompressed.
  auto plain = sluice_export(k_range + " --format csv", &rc);
  ASSERT_EQ(rc, 0);
  const auto gz = dir_.path() / "things.csv.gz";
  sluice_export(k_range + " --format csv --gzip --out " + quoted(gz.string()), &rc);
  ASSERT_EQ(rc, 0) << export_err();
  EXPECT_EQ(run("gzip -dc " + quoted(gz.string())), plain);

  // A range before every row: the header alone.
  auto none = sluice_export("--since 2001-01-01T00:00:00Z --until 2001-01-02T00:00:00Z", &rc);
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(none, "id,message_id,received_at,stored_at,label,count,ratio,ok,seen_at,contact\n");

  // Bad requests: exit 2 with the reason.
  sluice_export("--since yesterday --until 2100-01-01T00:00:00Z", &rc);
  EXPECT_EQ(rc, 2);
  sluice_export(k_range + " --format xml", &rc);
  EXPECT_EQ(rc, 2);
  sluice_export("--since 2100-01-01T00:00:00Z --until 2000-01-01T00:00:00Z", &rc);
  EXPECT_EQ(rc, 2);
}

INSTANTIATE_TEST_SUITE_P(stores, export_cli, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sluice::testing
