#pragma once
// The `sluice` command line: serve | api | worker | migrate, each with
// --config FILE; --version.

namespace sluice::app {

int main_cli(int argc, char** argv);

}  // namespace sluice::app
