#include "app/cli.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include "app/service.hpp"
#include "config/config.hpp"
#include "observe/log.hpp"

namespace sluice::app {

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

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  try {
    auto cfg = config::load(config_path);
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
