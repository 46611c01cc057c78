// The build runner: from an app's source tree to a slug, with classic Heroku buildpacks
// (bin/detect, bin/compile, bin/release), following docs/buildpacks.md's build contract.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace slipway::build {

struct BuildInput {
  // The extracted app source; becomes BUILD_DIR, built in place. Handed to `run_as` when set
  // (its parent must not be writable by that uid: the slug is read from this path afterwards).
  std::filesystem::path source_dir;
  // Per app, kept between its builds, never used by two builds at once (CACHE_DIR).
  std::filesystem::path cache_dir;
  // Scratch for this build, created if missing: env/ (ENV_DIR), home/ (HOME), buildpacks/ (the
  // copies and downloads), slug.tgz. It stays owned by this process; with `run_as`, it and the
  // parents of all three directories must be searchable by that uid.
  std::filesystem::path work_dir;
  std::map<std::string, std::string> config_vars;  // written to ENV_DIR, one file per var
  // Buildpack URLs in order (see parse_buildpack_url). All run; each must detect the app; the
  // last one's bin/release gives the default process types. Empty: the first built-in buildpack
  // whose bin/detect accepts the app (nodejs, python, procfile).
  std::vector<std::string> buildpacks;
  std::filesystem::path builtin_buildpacks_dir;  // the repository's buildpacks/
  std::string source_version;                    // the commit being built, if any: SOURCE_VERSION
  // Buildpack processes (and the cp/curl/git fetching buildpacks) run as this uid/gid.
  std::optional<std::pair<uid_t, gid_t>> run_as;
  // RLIMIT_DATA on every build process (see ProcessLimits for why not RLIMIT_AS). Per process,
  // not for the build as a whole: that needs a cgroup.
  std::uint64_t memory_limit_bytes = std::uint64_t{2} * 1024 * 1024 * 1024;
  int nice_increment = 10;  // builds must not starve running apps
  std::uint64_t max_slug_bytes = std::uint64_t{500} * 1024 * 1024;  // compressed, as Heroku's
  // STACK for buildpacks: what the build machine is (docs/buildpacks.md), not a Heroku stack
  // name: third-party buildpacks choose their downloads by it, and heroku-24 binaries are built
  // for Ubuntu 24.04, not Debian 12.
  std::string stack = "debian-12";
  std::chrono::seconds timeout = std::chrono::minutes(15);  // Heroku's build time limit
};

struct BuildOutput {
  std::filesystem::path slug_archive;  // work_dir/slug.tgz: ./app/..., passes check_slug_archive
  std::uint64_t slug_size = 0;         // bytes, compressed
  std::map<std::string, std::string> process_types;  // Procfile entries over bin/release's
  std::string buildpack_description;                 // the last bin/detect's output: "Node.js"
  std::vector<std::pair<std::string, std::string>> buildpacks;  // (url, name) as used
  // From every buildpack's bin/release, later ones winning: to apply to the app where it has no
  // such var yet (config_vars) and to provision (addons), as Heroku does.
  std::map<std::string, std::string> config_vars;
  std::vector<std::string> addons;
};

// Called with build output as it happens, a line at a time (newline included).
using BuildOutputFn = std::function<void(std::string_view)>;

// Runs the build on the calling thread, streaming its output in Heroku's style. On failure the
// error's message is the reason in one sentence ("Push rejected, failed to compile Node.js app.",
// "Procfile line 3: ...", "App not compatible with buildpack: ...") and the output already ends
// with it and ` !     Push failed`. kInvalidParams: the app's build failed (its code, Procfile,
// buildpacks or slug); kInternal: the platform could not run it, or it was cancelled or timed
// out. Setting `*cancel` kills the running buildpack's process group and fails the build.
Result<BuildOutput> run_build(const BuildInput& input, const BuildOutputFn& output,
                              const std::atomic<bool>* cancel = nullptr);

// "12.3M", "845K": sizes the way the build output shows them.
std::string format_build_size(std::uint64_t bytes);

}  // namespace slipway::build
