// Buildpack URLs (what `heroku buildpacks:set` stores, untrusted) and getting a buildpack into a
// build's scratch directory: a copy of a built-in, a copy of a local directory, a tarball
// downloaded with curl, or a git clone.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "build/build_process.h"
#include "common/result.h"

namespace slipway::build {

enum class BuildpackSource { kBuiltin, kLocalPath, kTarball, kGit };

struct BuildpackRef {
  std::string url;   // as the app names it; built-in shorthands normalised ("nodejs" ->
                     // "heroku/nodejs")
  std::string name;  // Heroku's name for it: "heroku/nodejs" for built-ins, else the URL
  BuildpackSource source = BuildpackSource::kBuiltin;
  std::string location;  // built-in folder name, absolute path, or URL without its #fragment
  std::string git_ref;   // the #ref of a git URL (branch, tag or commit), if any
};

inline constexpr std::size_t kMaxBuildpackUrlLength = 2048;

// Accepts `heroku/nodejs`, `heroku/python`, `heroku/procfile` and the short `nodejs`, `python`,
// `procfile`; an absolute local path; an http(s) URL whose path ends in .tgz or .tar.gz (a
// tarball); other http(s) URLs and file:// URLs are git repositories, with an optional `#ref`.
// Errors (kInvalidParams) say why: other registry names, other schemes (ssh, git@...), control
// characters or spaces, refs that are not plain names or commit ids.
Result<BuildpackRef> parse_buildpack_url(std::string_view url);

// The built-in buildpacks in Heroku's detection order (docs/buildpacks.md).
inline constexpr std::string_view kBuiltinBuildpacks[] = {"nodejs", "python", "procfile"};

struct FetchContext {
  std::filesystem::path builtin_dir;       // the repository's buildpacks/
  std::map<std::string, std::string> env;  // for cp, curl and git: the build's clean env
  ProcessLimits limits;                    // the build's uid, priority and memory limit
  ProcessControl control;
  LineFn output;  // their output, already indented
};

// Puts the buildpack at `destination` (which must not exist; its parent must be writable by the
// build's uid). Built-ins are copied by this process and handed to the build's uid; local
// paths, tarball downloads and git clones run as the build's uid, so a buildpack URL reaches
// only what that uid can. Checks the result has bin/detect and bin/compile.
Status fetch_buildpack(const BuildpackRef& ref, const std::filesystem::path& destination,
                       const FetchContext& context);

}  // namespace slipway::build
