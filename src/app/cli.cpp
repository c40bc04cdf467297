#include "app/cli.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <optional>

#include "api/openapi.hpp"
#include "app/bench_command.hpp"
#include "app/export_command.hpp"
#include "app/keys_command.hpp"
#include "app/service.hpp"
#include "app/url_mask.hpp"
#include "config/config.hpp"
#include "observe/log.hpp"
#include "slo/rules.hpp"

namespace sluice::app {

namespace {

// `sluice config check`: 0 and the effective configuration on stdout when it
// loads, 1 and the reason on stderr when it does not.
int check_config(const std::string& path) {
  try {
    auto cfg = config::load(path);
    std::cout << config::effective_toml(cfg, [](std::string_view url) { return mask_password(url); });
    return std::cout.flush() ? 0 : 1;
  } catch (const config::config_error& e) {
    std::cerr << "sluice: configuration error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int main_cli(int argc, char** argv) {
  CLI::App cli{"Sluice: HTTP API → durable topic → subscribers → database → HTTP read API"};
  cli.set_version_flag("--version", std::string("sluice ") + SLUICE_VERSION);
  cli.require_subcommand(1);

  std::string config_path = "config/sluice.toml";
  auto add = [&](const char* name, const char* help) {
    auto* sub = cli.add_subcommand(name, help);
    sub->add_option("-c,--config", config_path, "configuration file (TOML)")
        ->capture_default_str();
    return sub;
  };
  auto* serve = add("serve", "run the HTTP API and the subscribers in one process");
  auto* api = add("api", "run only the HTTP API (scale out with more processes)");
  auto* worker = add("worker", "run only the subscribers (scale out with more processes)");
  auto* migrate = add("migrate", "create or upgrade the store's tables and the subscriptions");
  auto* openapi =
      add("openapi", "print the OpenAPI 3.1 document of this configuration (GET /openapi.json)");
  auto* slo = cli.add_subcommand("slo", "service level objectives as code");
  slo->require_subcommand(1);
  auto* slo_rules = slo->add_subcommand("rules", "print the Prometheus rules the [slo] section implies");
  slo_rules->add_option("-c,--config", config_path, "configuration file (TOML)")
      ->capture_default_str();

  auto* conf = cli.add_subcommand("config", "inspect a configuration");
  conf->require_subcommand(1);
  auto* conf_check = conf->add_subcommand(
      "check", "validate a configuration and print it as loaded (defaults filled in, secrets masked)");
  conf_check->add_option("-c,--config", config_path, "configuration file (TOML)")
      ->capture_default_str();

  bench_request bench_req;
  std::string url = "http://127.0.0.1:8080", duration = "10s", warmup = "0s", mix = "post=20,get=80";
  auto* bench = add("bench", "load a running Sluice (open or closed loop) and check its SLOs");
  bench->add_option("--url", url, "the Sluice to load")->capture_default_str();
  bench->add_option("--rate", bench_req.load.rate,
                    "requests/s, open loop (latency from each request's intended send time); "
                    "0 = closed loop, as fast as the connections go")
      ->capture_default_str();
  bench->add_option("--connections", bench_req.load.connections, "concurrent connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  bench->add_option("--duration", duration, "measured time (e.g. 30s, 2m)")->capture_default_str();
  bench->add_option("--warmup", warmup, "unmeasured time before it")->capture_default_str();
  bench->add_option("--requests", bench_req.load.requests, "stop after this many requests instead");
  bench->add_option("--mix", mix, "request mix by weight")->capture_default_str();
  bench->add_option("--resource", bench_req.load.resource, "resource to POST and GET")
      ->capture_default_str();
  bench->add_option("--batch", bench_req.load.batch, "records per POST")->capture_default_str();
  bench->add_flag("--idempotency-keys", bench_req.load.idempotency_keys,
                  "send an Idempotency-Key with each POST");
  bench->add_option("--get-query", bench_req.load.get_query, "query string of the GETs")
      ->capture_default_str();
  bench->add_option("--freshness-every", bench_req.load.freshness_every,
                    "follow every Nth accepted POST to its row (0 = off)")
      ->capture_default_str();
  bench->add_option("--threads", bench_req.load.threads, "load generator threads")
      ->capture_default_str();
  bench->add_flag("--json", bench_req.json, "print the report as JSON");
  bench->add_flag("--check-throughput", bench_req.check_throughput,
                  "also hold the run to the [slo] throughput band");
  bench->add_option("--plot", bench_req.load.plot_file, "write an SVG latency plot to FILE");

  export_request export_req;
  auto* exp = add("export", "stream a resource's rows (received_at range, id order) as CSV or NDJSON");
  exp->add_option("--resource", export_req.resource, "the resource whose table to export")
      ->required();
  exp->add_option("--since", export_req.since, "RFC 3339: rows received at or after")->required();
  exp->add_option("--until", export_req.until, "RFC 3339: rows received before")->required();
  exp->add_option("--format", export_req.format, "csv (RFC 4180, with a header) or ndjson")
      ->capture_default_str();
  exp->add_option("--out", export_req.out, "output file, - for stdout")->capture_default_str();
  exp->add_flag("--gzip", export_req.gzip, "gzip the output (zlib)");
  exp->add_option("--after", export_req.after, "resume: only rows with an id above this");

  keys_request keys_req;
  std::optional<double> key_rate;
  auto* keys = cli.add_subcommand("keys", "manage the API keys of auth.keys_file");
  keys->require_subcommand(1);
  auto* keys_create = keys->add_subcommand(
      "create", "make a key; prints it once, alone on the last line (needs SLUICE_AUTH_PEPPER "
                "or --pepper-file)");
  auto* keys_list = keys->add_subcommand("list", "ids, names, scopes, expiry (never the keys)");
  auto* keys_revoke = keys->add_subcommand("revoke", "refuse a key from now on");
  for (auto* sub : {keys_create, keys_list, keys_revoke}) {
    sub->add_option("--keys-file", keys_req.keys_file, "the keys file (auth.keys_file)")
        ->required();
  }
  keys_create->add_option("--scopes", keys_req.scopes, "e.g. publish:users,read:users")
      ->required();
  keys_create->add_option("--name", keys_req.name, "a label, unique among active keys");
  keys_create->add_option("--rate", key_rate, "records/s (default: auth.default_rate; 0 = unlimited)");
  keys_create->add_option("--expires", keys_req.expires, "UTC, e.g. 2027-01-01T00:00:00Z");
  keys_create->add_option("--pepper-file", keys_req.pepper_file,
                          "the pepper's file, when SLUICE_AUTH_PEPPER is unset");
  keys_revoke->add_option("key", keys_req.target, "the key's id or name")->required();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  if (conf_check->parsed()) return check_config(config_path);

  try {
    if (keys->parsed()) {
      keys_req.rate = key_rate;
      keys_req.what = keys_create->parsed()   ? keys_request::action::create
                      : keys_revoke->parsed() ? keys_request::action::revoke
                                              : keys_request::action::list;
      return run_keys(keys_req, std::cout, std::cerr);
    }
    if (bench->parsed()) {
      auto d = bench::parse_duration(duration), w = bench::parse_duration(warmup);
      auto m = bench::parse_mix(mix);
      if (!d || !w || !m || !bench::parse_url(url, bench_req.load.host, bench_req.load.port)) {
        std::cerr << "sluice bench: bad --duration, --warmup, --mix or --url\n";
        return 2;
      }
      bench_req.load.duration = *d;
      bench_req.load.warmup = *w;
      bench_req.load.mix = *m;
      // The SLOs come from the config; without one (none given, and no
      // config/sluice.toml here) the defaults, which are the seed's.
      bool use_file = bench->get_option("--config")->count() > 0 ||
                      std::filesystem::exists(config_path);
      auto slo = use_file ? config::load(config_path).slo : config::slo_config{};
      bench_req.slo = objectives_of(slo, bench_req.check_throughput);
      return run_bench(bench_req);
    }
    auto cfg = config::load(config_path);
    if (slo_rules->parsed()) {
      if (auto why = slo::check(cfg.slo)) {
        std::cerr << "sluice: configuration error: " << config_path << ": " << *why << "\n";
        return 2;
      }
      std::cout << slo::prometheus_rules(cfg.slo);
      return std::cout.flush() ? 0 : 1;
    }
    if (openapi->parsed()) {
      std::cout << api::make_openapi_document(cfg).body << "\n";
      return std::cout.flush() ? 0 : 1;
    }
    if (exp->parsed()) {
      observe::set_level("off");  // the log goes to stdout, which may be the data
      return run_export(cfg, export_req, std::cerr);
    }
    observe::set_level(cfg.log.level);
    if (migrate->parsed()) return run_migrate(cfg);
    roles r{serve->parsed() || api->parsed(), serve->parsed() || worker->parsed()};
    return run_service(cfg, r);
  } catch (const config::config_error& e) {
    std::cerr << "sluice: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    observe::error("start-up failed", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace sluice::app
