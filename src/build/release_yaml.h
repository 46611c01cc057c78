// What a buildpack's `bin/release` prints: the small YAML subset classic Heroku buildpacks emit.
// Untrusted (third-party buildpacks), so parsed by hand with limits, without a YAML library:
//
//   ---
//   addons:
//     - heroku-postgresql          (or `addons: []`, `addons: [a, b]`)
//   config_vars:
//     NAME: value                  (or `config_vars: {}`)
//   default_process_types:
//     web: "bundle exec puma"      (or `default_process_types: {}`)
//
// Supported: block maps and lists one level deep, one-line flow collections (`[]`, `{a: b}`),
// plain, 'single' and "double" quoted scalars (with YAML's escapes), `#` comments, a leading
// `---` and a trailing `...`. Other top-level keys are ignored, whatever they hold. Refused with a
// clear error: anything deeper, block scalars (`|`, `>`), anchors, aliases, tags, multi-line
// scalars, several documents. Scalars are kept as written (`yes` stays "yes"; ~ and null are
// empty).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace slipway::build {

inline constexpr std::size_t kMaxReleaseYamlBytes = std::size_t{1024} * 1024;
inline constexpr std::size_t kMaxReleaseYamlEntries = 10000;

struct ReleaseInfo {
  std::vector<std::string> addons;
  std::map<std::string, std::string> config_vars;
  std::map<std::string, std::string> default_process_types;  // type -> command
};

// Errors are kInvalidParams, "bin/release output line 4: ...". Process type names must be
// Procfile names ([A-Za-z0-9_-]+) with a non-empty command; config var names must be non-empty.
Result<ReleaseInfo> parse_release_yaml(std::string_view text);

}  // namespace slipway::build
