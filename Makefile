# Sluice — the two set-up commands are `make run` and `make test`; both install
# what they need first (Debian packages; idempotent, silent when done).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CONFIG ?= config/sluice.toml
# TIDY=ON runs clang-tidy (.clang-tidy) on src/ as part of the build, warnings as
# errors. `make test` (and so CI) always builds with it; `make build`/`make run` do not.
TIDY ?= OFF

.PHONY: all deps test-deps configure build run test unit integration bench lint format clean

all: build

deps:
	@bash scripts/install-deps.sh build

test-deps:
	@bash scripts/install-deps.sh test

# Warnings are errors here (Debian 12's g++ 12 is the supported compiler).
configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_WERROR=ON -DSLUICE_CLANG_TIDY=$(TIDY) \
	  $(CMAKE_FLAGS) >/dev/null

# Quiet when it succeeds; the whole log when it fails.
build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) >$(BUILD_DIR)/build.log 2>&1 \
	  || (cat $(BUILD_DIR)/build.log; exit 1)

run: build
	@mkdir -p data
	$(BUILD_DIR)/sluice serve --config $(CONFIG)

test: TIDY = ON
test: test-deps build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j 2

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L unit

integration: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L integration

bench: test-deps build
	@bash bench/run.sh

# The same checks as the build's, over every file of src/ at once.
lint: configure
	@run-clang-tidy -quiet -p $(BUILD_DIR) "$(CURDIR)/src/" >$(BUILD_DIR)/lint.log 2>&1 \
	  && echo 'lint: clean' || (grep -E 'error:|warning:' $(BUILD_DIR)/lint.log; exit 1)

format:
	@find src tests -name '*.[ch]pp' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
