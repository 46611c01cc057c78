# Slipway: `make run` starts the platform, `make test` runs every test. Both install what is
# missing first (scripts/install-deps).
BUILD_DIR ?= build
ASAN_BUILD_DIR ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-asan fuzz format tidy clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@ninja -C $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/run $(BUILD_DIR)

test: build
	@scripts/test $(BUILD_DIR)

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLIPWAY_SANITIZE=ON > /dev/null
	@ninja -C $(ASAN_BUILD_DIR) -j $(JOBS)
	@scripts/test $(ASAN_BUILD_DIR)

# Coverage-guided fuzzing with libFuzzer (clang); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: deps
	@scripts/fuzz $(FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

tidy: build
	@clang-tidy -p $(BUILD_DIR) --quiet $$(git ls-files 'src/*.cpp')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) build-fuzz
