// Parsers for the JSON request bodies the API accepts. Each checks every field's type and value
// before anything is changed, so a bad body is refused whole.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

constexpr std::size_t kMaxConfigBytes =
    std::size_t{32} * 1024;  // Heroku's limit on an app's whole config

struct AppCreateBody {
  std::optional<std::string> name;
  std::optional<std::string> region;
  std::optional<std::string> stack;
};

struct AppUpdateBody {
  std::optional<std::string> name;
  std::optional<bool> maintenance;
};

struct SlugCreateBody {
  std::map<std::string, std::string> process_types;
  std::optional<std::string> commit;
  std::optional<std::string> commit_description;
  std::optional<std::string> buildpack_provided_description;
  std::optional<std::string> stack;
};

// POST /apps/{app}/releases: exactly one of `slug` (deploy) and `release` (roll back).
struct ReleaseCreateBody {
  std::optional<std::string> slug;
  std::optional<std::string> release;
  std::optional<std::string> description;
};

// POST /apps/{app}/log-sessions, as `heroku logs` sends it: {"lines":100,"tail":false} plus
// "dyno" (a process type or dyno name; `--ps`/`--process-type` is sent as "dyno" too) and
// "source" when given. Other fields (e.g. "type", which the CLI sends only for Fir apps) are
// ignored.
constexpr std::int64_t kDefaultLogLines = 100;
constexpr std::int64_t kMaxLogLines = 1500;  // Heroku's limit, and the size of an app's buffer
constexpr std::size_t kMaxLogFilterBytes = 64;

struct LogSessionBody {
  std::int64_t lines = kDefaultLogLines;  // 1 to kMaxLogLines
  bool tail = false;
  std::string dyno;    // "web", "web.1", "router"; empty for all
  std::string source;  // "app", "heroku"; empty for all
};

// POST /apps/{app}/builds: {"source_blob":{"url":..., "version":..., "checksum":...},
// "buildpacks":[{"url":...}]}. The url is required and must pass is_source_url; buildpacks,
// when given, override the app's.
struct BuildCreateBody {
  std::string source_url;
  std::optional<std::string> version;
  std::optional<std::string> checksum;
  std::vector<std::string> buildpacks;
};

// PUT /apps/{app}/buildpack-installations: {"updates":[{"buildpack":"<url or name>"}, ...]}.
// Each must be a form Slipway can fetch (see docs/buildpacks.md): heroku/<name> or
// urn:buildpack:heroku/<name> of a built-in, an absolute path or file:// URL, an http(s) URL,
// or a git URL.
constexpr std::size_t kMaxBuildpacks = 8;
constexpr std::size_t kMaxBuildpackUrlBytes = 2048;
Result<std::vector<std::string>> parse_buildpack_updates(std::string_view body);
// The canonical form of one buildpack reference, or kInvalidParams saying what is accepted.
Result<std::string> normalize_buildpack(std::string_view buildpack);

// An absent or empty body is an empty object for these endpoints.
Result<AppCreateBody> parse_app_create(std::string_view body);
Result<AppUpdateBody> parse_app_update(std::string_view body);
// {"KEY": "value" | null, ...}; keys must be valid config var names.
Result<store::ConfigChanges> parse_config_patch(std::string_view body);

Status validate_config_key(std::string_view key);
// Process type names: 1–30 letters, digits, `-` and `_` ("web", "worker", "clock-2").
Status validate_process_type(std::string_view type);

Result<SlugCreateBody> parse_slug_create(std::string_view body);
Result<ReleaseCreateBody> parse_release_create(std::string_view body);

// `dyno` and `source` are up to 64 letters, digits, `.`, `-` and `_`; null counts as absent.
Result<LogSessionBody> parse_log_session(std::string_view body);
Result<BuildCreateBody> parse_build_create(std::string_view body);
// An http:// or https:// URL (scheme in any case) with a host, of printable ASCII without
// spaces, at most kMaxBuildpackUrlBytes: what a build may be asked to download.
bool is_source_url(std::string_view url);

}  // namespace slipway::api
