#pragma once
// The `sluice` command line: serve | api | worker | migrate, each with
// --config FILE; `slo rules [--config FILE]` prints the Prometheus rules the
// [slo] section implies; `config check [--config FILE]` validates a config
// and prints it as loaded, secrets masked (exit 1 when it is invalid); --version.

namespace sluice::app {

int main_cli(int argc, char** argv);

}  // namespace sluice::app
