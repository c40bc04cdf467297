#include "app/cli.hpp"

int main(int argc, char** argv) { return sluice::app::main_cli(argc, argv); }
