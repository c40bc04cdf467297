# Sluice — the two set-up commands are `make run` and `make test`; both install
# what they need first (Debian packages; idempotent, silent when done).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CONFIG ?= config/sluice.toml
# TIDY=ON runs clang-tidy (.clang-tidy) on src/ as part of the build, warnings as
# errors. `make test` (and so CI) always builds with it; `make build`/`make run` do not.
TIDY ?= OFF

.PHONY: all deps test-deps configure build run test unit integration bench lint format clean fuzz

all: build

deps:
	@bash scripts/install-deps.sh build

test-deps:
	@SLUICE_NPM_DIR=$(abspath $(BUILD_DIR))/npm bash scripts/install-deps.sh test

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

# libFuzzer targets (fuzz/, issue 12) with ASan+UBSan, built by clang in their
# own build dir; each runs FUZZ_SECONDS from its seed corpus (fuzz/corpus/),
# and any finding fails it (the input is kept in build-fuzz/artifacts/).
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= request_head record_json list_query config auth_header
FUZZ_CXX ?= clang++-14
fuzz:
	@bash scripts/install-deps.sh fuzz
	@cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  -DSLUICE_FUZZ=ON -DSLUICE_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS)) \
	  >$(FUZZ_DIR)/build.log 2>&1 || (cat $(FUZZ_DIR)/build.log; exit 1)
	@bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	@rm -rf $(BUILD_DIR)
