#include "build/buildpack_runner.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

#include "build/build_workspace.h"
#include "build/buildpack_fetch.h"
#include "build/buildpack_steps.h"
#include "build/procfile.h"
#include "build/release_yaml.h"
#include "build/slug_archive.h"
#include "build/slug_writer.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTopic = "-----> ";
constexpr std::string_view kInfo = "       ";
constexpr std::string_view kError = " !     ";
constexpr const char* kSystemPath = "/usr/local/bin:/usr/bin:/bin";

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

std::vector<std::string> keys_of(const std::map<std::string, std::string>& map) {
  std::vector<std::string> keys;
  keys.reserve(map.size());
  for (const auto& entry : map) keys.push_back(entry.first);
  return keys;
}

class Build {
 public:
  Build(const BuildInput& input, const BuildOutputFn& output, const std::atomic<bool>* cancel)
      : input_(input), output_(output), cancel_(cancel) {}

  Result<BuildOutput> run() {
    topic("Building on the " + input_.stack + " stack");
    if (auto s = prepare(); !s) return fail(s.error());
    // A broken Procfile fails the build before anything slow runs.
    if (auto types = read_procfile(); !types) return fail(types.error());

    std::vector<Buildpack> packs;
    auto chosen = input_.buildpacks.empty() ? detect_builtin() : compile_explicit();
    if (!chosen) return chosen.error();  // already reported
    packs = std::move(*chosen);
    for (const auto& pack : packs) result_.buildpacks.emplace_back(pack.ref.url, pack.ref.name);

    if (auto s = release(packs); !s) return fail(s.error());
    auto procfile = read_procfile();
    if (!procfile) return fail(procfile.error());
    discover_process_types(*procfile);
    if (auto s = compress(); !s) return fail(s.error());
    return std::move(result_);
  }

 private:
  void say(std::string_view prefix, const std::string& text) {
    if (!output_) return;
    std::string line(prefix);
    line.append(text).append("\n");
    output_(line);
  }
  void topic(const std::string& text) { say(kTopic, text); }
  void info(const std::string& text) { say(kInfo, text); }

  // Reports the failure the way Heroku ends a failed build, and returns it.
  Error fail(Error error, const std::vector<std::string>& details = {}) {
    say(kError, error.message);
    for (const auto& line : details) info(line);
    say("", "");
    say(kError, "Push failed");
    return error;
  }

  Status check_stop() const {
    if (cancel_ && cancel_->load()) return make_error(ErrorCode::kInternal, "Build cancelled.");
    if (std::chrono::steady_clock::now() >= context_.control.deadline) {
      return make_error(ErrorCode::kInternal, "Build timed out.");
    }
    return {};
  }

  Status prepare() {
    auto ws = prepare_workspace(input_, [&](const std::string& name) {
      say(kError, "Config var `" + name + "` cannot be passed to the build (not a file name)");
    });
    if (!ws) return ws.error();
    workspace_ = std::move(*ws);
    std::map<std::string, std::string> env{{"PATH", kSystemPath},
                                           {"HOME", workspace_.home.string()},
                                           {"LANG", "C.UTF-8"},
                                           {"STACK", input_.stack}};
    if (!input_.source_version.empty()) env["SOURCE_VERSION"] = input_.source_version;
    ProcessLimits limits{input_.run_as, input_.memory_limit_bytes, input_.nice_increment};
    ProcessControl control{cancel_, std::chrono::steady_clock::now() + input_.timeout};
    context_ = StepContext{input_.source_dir,
                           input_.cache_dir,
                           workspace_.env_dir,
                           env,
                           limits,
                           control,
                           [this](std::string_view line) {
                             if (output_) output_(line);
                           }};
    return {};
  }

  Result<std::map<std::string, std::string>> read_procfile() const {
    auto text = read_build_file(input_.source_dir, "Procfile", kMaxProcfileBytes);
    if (!text) return text.error();
    if (!*text) return std::map<std::string, std::string>{};
    return parse_procfile(**text);
  }

  Result<Buildpack> fetch(const BuildpackRef& ref, const std::string& dir_name) {
    if (auto s = check_stop(); !s) return s.error();
    if (ref.source != BuildpackSource::kBuiltin) topic("Fetching buildpack " + ref.url);
    FetchContext fetch{input_.builtin_buildpacks_dir, context_.env, context_.limits,
                       context_.control, [this](std::string_view line) {
                         if (output_) output_(line);
                       }};
    Buildpack pack{ref, workspace_.buildpacks_dir / dir_name, {}};
    if (auto s = fetch_buildpack(ref, pack.dir, fetch); !s) {
      return make_error(s.error().code,
                        "Failed to fetch buildpack " + ref.url + ": " + s.error().message);
    }
    return pack;
  }

  // Compiles with one buildpack; its `export` file is then sourced by the ones after it.
  Status compile(const Buildpack& pack, const std::string& name) {
    if (auto s = check_stop(); !s) return s;
    auto outcome = run_compile(context_, pack);
    if (!outcome) return outcome.error();
    if (outcome->cancelled) return make_error(ErrorCode::kInternal, "Build cancelled.");
    if (outcome->timed_out) return make_error(ErrorCode::kInternal, "Build timed out.");
    if (!outcome->succeeded()) {
      if (outcome->signal != 0) info("bin/compile was " + describe_outcome(*outcome));
      return make_error(ErrorCode::kInvalidParams,
                        "Push rejected, failed to compile " + name + " app.");
    }
    result_.buildpack_description = name;
    std::error_code ec;
    if (fs::is_regular_file(pack.dir / "export", ec)) exports_.push_back(pack.dir / "export");
    return {};
  }

  // Heroku's multi-buildpack rules: all of them, in order, each one detecting the app.
  Result<std::vector<Buildpack>> compile_explicit() {
    std::vector<BuildpackRef> refs;
    for (const auto& url : input_.buildpacks) {
      auto ref = parse_buildpack_url(url);
      if (!ref) return fail(ref.error());
      refs.push_back(std::move(*ref));
    }
    if (refs.size() == 1) {
      topic("Using buildpack: " + refs.front().url);
    } else {
      topic("Using buildpacks:");
      for (std::size_t i = 0; i < refs.size(); ++i) {
        info(std::to_string(i + 1) + ". " + refs[i].url);
      }
    }
    std::vector<Buildpack> packs;
    for (std::size_t i = 0; i < refs.size(); ++i) {
      auto pack = fetch(refs[i], std::to_string(i + 1));
      if (!pack) return fail(pack.error());
      packs.push_back(std::move(*pack));
    }
    for (auto& pack : packs) {
      pack.exports = exports_;
      if (auto s = check_stop(); !s) return fail(s.error());
      auto detection = run_detect(context_, pack);
      if (!detection) return fail(detection.error());
      if (!detection->detected) {
        topic("App not compatible with buildpack: " + pack.ref.url);
        return fail(make_error(ErrorCode::kInvalidParams,
                               "App not compatible with buildpack: " + pack.ref.url),
                    {"Its bin/detect does not recognise this app (exit 1)."});
      }
      topic(detection->name + " app detected");
      if (auto s = compile(pack, detection->name); !s) return fail(s.error());
    }
    return packs;
  }

  // No buildpack named: the first built-in one whose bin/detect accepts the app.
  Result<std::vector<Buildpack>> detect_builtin() {
    topic("Determining which buildpack to use for this app");
    for (const auto builtin : kBuiltinBuildpacks) {
      auto ref = parse_buildpack_url(builtin);
      if (!ref) return fail(ref.error());
      auto pack = fetch(*ref, std::string(builtin));
      if (!pack) return fail(pack.error());
      auto detection = run_detect(context_, *pack);
      if (!detection) return fail(detection.error());
      if (!detection->detected) continue;
      topic(detection->name + " app detected");
      if (auto s = compile(*pack, detection->name); !s) return fail(s.error());
      return std::vector<Buildpack>{std::move(*pack)};
    }
    return fail(
        make_error(ErrorCode::kInvalidParams,
                   "No default language could be detected for this app."),
        {"HINT: Slipway's built-in buildpacks recognise a package.json (Node.js), a",
         "requirements.txt, pyproject.toml or manage.py (Python), or a Procfile that says how",
         "to run the app. Add one, or set a buildpack: heroku buildpacks:set <url>"});
  }

  // Every buildpack's bin/release, after all compiled: the last one's default process types,
  // everyone's config vars (later ones winning) and add-ons.
  Status release(std::vector<Buildpack>& packs) {
    for (std::size_t i = 0; i < packs.size(); ++i) {
      if (auto s = check_stop(); !s) return s;
      auto text = run_release(context_, packs[i]);
      if (!text) return text.error();
      auto parsed = parse_release_yaml(*text);
      if (!parsed) {
        return make_error(ErrorCode::kInvalidParams,
                          packs[i].ref.url + ": " + parsed.error().message);
      }
      for (auto& [name, value] : parsed->config_vars) result_.config_vars[name] = std::move(value);
      for (auto& addon : parsed->addons) {
        if (std::find(result_.addons.begin(), result_.addons.end(), addon) ==
            result_.addons.end()) {
          result_.addons.push_back(std::move(addon));
        }
      }
      if (i + 1 == packs.size()) defaults_ = std::move(parsed->default_process_types);
    }
    return {};
  }

  void discover_process_types(const std::map<std::string, std::string>& procfile) {
    topic("Discovering process types");
    const std::string declared = procfile.empty() ? "(none)" : join(keys_of(procfile), ", ");
    if (defaults_.empty()) {
      info("Procfile declares types -> " + declared);
    } else {
      info("Procfile declares types     -> " + declared);
      info("Default types for buildpack -> " + join(keys_of(defaults_), ", "));
    }
    result_.process_types = defaults_;
    for (const auto& [type, command] : procfile) result_.process_types[type] = command;
  }

  Status compress() {
    if (auto s = check_stop(); !s) return s;
    topic("Compressing...");
    SlugWriteLimits limits{input_.max_slug_bytes};
    auto written = write_slug_archive(input_.source_dir, workspace_.slug, limits,
                                      [this](std::string_view path) {
                                        say(kError,
                                            "Left out of the slug (not a file, "
                                            "directory or symlink): " +
                                                std::string(path));
                                      });
    if (!written && written.error().code == ErrorCode::kPayloadTooLarge) {
      return make_error(ErrorCode::kInvalidParams,
                        "Compiled slug size: over " + format_build_size(input_.max_slug_bytes) +
                            " is too large (max is " + format_build_size(input_.max_slug_bytes) +
                            "). Leave what the app does not need at runtime out of the build.");
    }
    if (!written) return written.error();
    if (auto checked = check_slug_archive(workspace_.slug); !checked) {
      return make_error(ErrorCode::kInternal,
                        "The slug fails its own check: " + checked.error().message);
    }
    info("Done: " + format_build_size(written->compressed_bytes));
    result_.slug_archive = workspace_.slug;
    result_.slug_size = written->compressed_bytes;
    return {};
  }

  const BuildInput& input_;
  const BuildOutputFn& output_;
  const std::atomic<bool>* cancel_;
  Workspace workspace_;
  StepContext context_;
  std::vector<fs::path> exports_;
  std::map<std::string, std::string> defaults_;
  BuildOutput result_;
};

}  // namespace

Result<BuildOutput> run_build(const BuildInput& input, const BuildOutputFn& output,
                              const std::atomic<bool>* cancel) {
  return Build(input, output, cancel).run();
}

std::string format_build_size(std::uint64_t bytes) {
  constexpr double kKiB = 1024.0;
  constexpr double kMiB = 1024.0 * 1024.0;
  std::array<char, 32> text{};
  if (static_cast<double>(bytes) < kMiB) {  // whole KiB, rounded up: a tiny slug is "1K"
    std::snprintf(text.data(), text.size(), "%.0fK", std::ceil(static_cast<double>(bytes) / kKiB));
  } else {
    std::snprintf(text.data(), text.size(), "%.1fM", static_cast<double>(bytes) / kMiB);
  }
  std::string out = text.data();
  if (out.size() > 2 && out.compare(out.size() - 3, 3, ".0M") == 0) out.erase(out.size() - 3, 2);
  return out;
}

}  // namespace slipway::build
