// Running one buildpack's scripts as the build contract says (docs/buildpacks.md): bin/detect
// BUILD_DIR, bin/compile BUILD_DIR CACHE_DIR ENV_DIR, bin/release BUILD_DIR; by argv, from the
// build's copy of the buildpack, in BUILD_DIR, with the clean build environment, after sourcing
// the `export` files earlier buildpacks wrote.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "build/build_process.h"
#include "build/buildpack_fetch.h"
#include "common/result.h"

namespace slipway::build {

struct StepContext {
  std::filesystem::path build_dir;
  std::filesystem::path cache_dir;
  std::filesystem::path env_dir;
  std::map<std::string, std::string> env;  // PATH, HOME, LANG, STACK, SOURCE_VERSION
  ProcessLimits limits;
  ProcessControl control;
  LineFn output;
};

struct Buildpack {
  BuildpackRef ref;
  std::filesystem::path dir;  // the build's copy
  // Earlier buildpacks' `export` files, sourced in order before each script of this one.
  std::vector<std::filesystem::path> exports;
};

struct Detection {
  bool detected = false;
  std::string name;  // the first line bin/detect printed (the URL when it printed nothing)
};

// bin/detect: exit 0 detects, 1 does not; anything else is an error naming the exit status.
Result<Detection> run_detect(const StepContext& context, const Buildpack& buildpack);

// bin/compile, its output streamed; the outcome says whether it succeeded.
Result<ProcessOutcome> run_compile(const StepContext& context, const Buildpack& buildpack);

// bin/release's stdout (its stderr is streamed); an error when it fails or prints too much. A
// buildpack without bin/release releases nothing: "".
Result<std::string> run_release(const StepContext& context, const Buildpack& buildpack);

// "exit 2", "killed by signal 9", "cancelled", "timed out".
std::string describe_outcome(const ProcessOutcome& outcome);

}  // namespace slipway::build
