# Sluice — the two set-up commands are `make run` and `make test`; both install
# what they need first (Debian packages; idempotent, silent when done).
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
CONFIG ?= config/sluice.toml
# TIDY=ON runs clang-tidy (.clang-tidy) on src/ as part of the build, warnings as
# errors. `make test` (and so CI) always builds with it; `make build`/`make run` do not.
TIDY ?= OFF

.PHONY: all deps test-deps configure build run test unit integration bench lint format clean fuzz \
        sanitize tsan image deploy-check up down scale-drill faults

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

# Fault drills (issue 15, tests/faults/): every drill in its full version,
# bench/results/faults.md written; FAULTS=regex runs the matching ones only
# (e.g. FAULTS=postgres, FAULTS=drill_kill). ≤ 20 min on a 2-core machine.
FAULTS ?=
faults: test-deps build
	@bash scripts/faults.sh $(BUILD_DIR) "$(FAULTS)"

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
FUZZ_TARGETS ?= request_head record_json list_query config auth_header page_form
FUZZ_CXX ?= clang++-14
fuzz:
	@bash scripts/install-deps.sh fuzz
	@cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  -DSLUICE_FUZZ=ON -DSLUICE_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS)) \
	  >$(FUZZ_DIR)/build.log 2>&1 || (cat $(FUZZ_DIR)/build.log; exit 1)
	@bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Sanitizer builds (issue 12), each in its own build dir, not part of `make
# test` (too slow for its CI job; CI runs them as jobs of their own). g++ by
# default (SANITIZE_CXX=clang++-14 works too); -O1 to keep the build short;
# warnings are not errors here (the normal build checks them; -fsanitize=thread
# adds -Wtsan notes on code that is correct). scripts/sanitize.sh runs ctest
# with every report (of the test binaries and of the sluice processes they
# start) written to <dir>/sanitizer-logs/, and fails when one was written.
# Suppressions, for third-party libraries only: scripts/sanitizers/.
SANITIZE_CXX ?= g++
SANITIZE_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_CXX_COMPILER=$(SANITIZE_CXX) -DSLUICE_WERROR=OFF
# Configures DIR with -DSLUICE_SANITIZE=KINDS. When the compiler differs from
# the one DIR's cache holds, cmake deletes the cache and configures again
# WITHOUT the -D options of that command line (a plain build that then passes
# every test): so a second run when the cache does not hold KINDS, and
# scripts/sanitize.sh refuses a build dir whose cache does not either.
comma := ,
sanitize_cmake = cmake -S . -B $(1) $(SANITIZE_FLAGS) -DSLUICE_SANITIZE=$(2) $(CMAKE_FLAGS) >/dev/null
sanitize_configure = $(call sanitize_cmake,$(1),$(2)) \
  && (grep -qx 'SLUICE_SANITIZE:STRING=$(2)' $(1)/CMakeCache.txt || $(call sanitize_cmake,$(1),$(2)))
# make sanitize: ASan + UBSan (and LeakSanitizer), the unit, contract and integration suites.
SANITIZE_DIR ?= build-asan
SANITIZE_TESTS ?= -L 'unit|contract|integration'
# Empty: every target. A list (e.g. `sluice auth_test api_test`) builds only
# those; then narrow SANITIZE_TESTS to them too (-R), or ctest counts the
# tests of unbuilt binaries as failed.
SANITIZE_TARGETS ?=
sanitize:
	@SLUICE_NPM_DIR=$(abspath $(SANITIZE_DIR))/npm bash scripts/install-deps.sh test
	@$(call sanitize_configure,$(SANITIZE_DIR),address$(comma)undefined)
	@ASAN_OPTIONS=detect_leaks=0 cmake --build $(SANITIZE_DIR) -j $(JOBS) \
	  $(if $(SANITIZE_TARGETS),--target $(SANITIZE_TARGETS)) >$(SANITIZE_DIR)/build.log 2>&1 \
	  || (tail -50 $(SANITIZE_DIR)/build.log; exit 1)
	@bash scripts/sanitize.sh $(SANITIZE_DIR) asan $(SANITIZE_TESTS)
# make tsan: ThreadSanitizer over the tests whose code runs on several threads:
# the publish queue and the brokers (contract + loop), the read cache and its
# single flight, store deadlines (offload), the subscriber, instruments, rate
# limits (per principal and per client address), the HTTP server in-process (TLS)
# and through the real binary.
TSAN_DIR ?= build-tsan
TSAN_TARGETS ?= sluice publish_queue_test sqlite_broker_test broker_contract_test broker_loop_test \
  page_cache_test store_deadline_test subscriber_fault_test instruments_test rate_limit_test \
  tls_server_test api_test cache_test http_connections_test auth_api_test delivery_test \
  address_limits_test
TSAN_TESTS ?= -R '^(publish_queue|SqliteBrokerTest|backends/broker_contract|brokers/broker_loop|page_cache|version_clock|store_deadline|subscriber_fault|family|histogram|instruments|metrics|rate_limit|buckets|tls_server|api|keyed|cache|store_health|http_connections|auth_keys_cli|auth_start|delivery|open_by_address|behind_proxy)\.'
tsan:
	@SLUICE_NPM_DIR=$(abspath $(TSAN_DIR))/npm bash scripts/install-deps.sh test
	@$(call sanitize_configure,$(TSAN_DIR),thread)
	@cmake --build $(TSAN_DIR) -j $(JOBS) --target $(TSAN_TARGETS) >$(TSAN_DIR)/build.log 2>&1 \
	  || (tail -50 $(TSAN_DIR)/build.log; exit 1)
	@bash scripts/sanitize.sh $(TSAN_DIR) tsan $(TSAN_TESTS)

# Deployment (issue 16). The image: podman + runc, --pull=never on a locally
# made debian:bookworm-slim (scripts/base-image.sh), --network host.
IMAGE ?= sluice:latest
DEPLOY_ENV = CONTAINERS_CONF=$(CURDIR)/deploy/containers.conf IMAGE=$(IMAGE)
image:
	@bash scripts/install-deps.sh deploy
	@$(DEPLOY_ENV) JOBS=$(JOBS) bash scripts/image.sh

# Builds the image, runs `sluice serve` in it, POST -> GET, SIGTERM -> exit 0.
deploy-check: image
	@$(DEPLOY_ENV) bash scripts/deploy-check.sh

# deploy/compose.yaml: PostgreSQL, NATS, 2 api, 2 worker, haproxy, Prometheus,
# Alertmanager, Grafana (needs the image: make image).
COMPOSE ?= podman-compose
up:
	@bash scripts/install-deps.sh deploy
	@cd deploy && $(DEPLOY_ENV) $(COMPOSE) -f compose.yaml up -d
down:
	@cd deploy && $(DEPLOY_ENV) $(COMPOSE) -f compose.yaml down

# 3 NATS nodes (R3 streams), PostgreSQL primary + streaming replica, 2 api behind
# haproxy, 2 workers, all on 127.0.0.1; nodes killed under load (also ctest -L fault).
scale-drill: test-deps build
	@bash tests/deploy/scale_drill.sh $(abspath $(BUILD_DIR))

clean:
	@rm -rf $(BUILD_DIR)
