// A build's directories, set up before any buildpack runs: the scratch directory's HOME, ENV_DIR
// (the config vars, one file each) and buildpacks/, the cache, and the source handed to the
// build's uid. Also reading a file the build wrote, without following links.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "build/buildpack_runner.h"
#include "common/result.h"

namespace slipway::build {

struct Workspace {
  std::filesystem::path home;            // work_dir/home, fresh
  std::filesystem::path env_dir;         // work_dir/env, fresh
  std::filesystem::path buildpacks_dir;  // work_dir/buildpacks, fresh
  std::filesystem::path slug;            // work_dir/slug.tgz, not there yet
};

// Creates the directories (mode 0700, owned by input.run_as when set), writes the config vars,
// and hands source_dir (and cache_dir when it is not the uid's yet) to run_as. A config var
// whose name cannot be a file name is left out, reported through `skipped`.
Result<Workspace> prepare_workspace(const BuildInput& input,
                                    const std::function<void(const std::string&)>& skipped);

// `dir/name` when it is a regular file (not a link) of at most max_bytes; nullopt when there is
// no such entry; an error (kInvalidParams) when it is something else or too large.
Result<std::optional<std::string>> read_build_file(const std::filesystem::path& dir,
                                                   std::string_view name, std::size_t max_bytes);

}  // namespace slipway::build
