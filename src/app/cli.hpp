#pragma once
// The `sluice` command line: serve | api | worker | migrate, each with
// --config FILE; `slo rules [--config FILE]` prints the Prometheus rules the
// [slo] section implies; --version.

namespace sluice::app {

int main_cli(int argc, char** argv);

}  // namespace sluice::app
