# zta — top-level entry points. `make test` and `make demo` work on a fresh Debian 12 machine.
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps configure build test layering thread-safety demo bench bench-idp bench-scale fuzz sanitize format clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: deps
	@$(MAKE) --no-print-directory build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# The rule of dependencies between modules alone (also part of `make test`; docs/architecture.md).
layering:
	@python3 tests/layering/check_layering.py

# Clang's -Wthread-safety over every source (also part of `make test`; docs/architecture.md).
thread-safety: deps
	@$(MAKE) --no-print-directory configure
	@JOBS=$(JOBS) bash scripts/thread-safety.sh $(BUILD_DIR)

demo: deps
	@$(MAKE) --no-print-directory build
	./$(BUILD_DIR)/zta demo

bench: deps
	@bash scripts/bench.sh

# Token endpoint throughput, p99 and peak RSS of `zta idp serve` beside node-oidc-provider (wrk).
bench-idp: deps
	@bash scripts/bench-idp.sh

# Token endpoint on SQLite, on PostgreSQL, and two PostgreSQL nodes behind HAProxy (docs/scale.md).
bench-scale: deps
	@bash scripts/bench-scale.sh

fuzz: deps
	@bash scripts/fuzz.sh

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DZTA_SANITIZE=ON -DZTA_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -LE interop --timeout 900

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz build-bench
