#include "build/buildpack_fetch.h"

#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "build/http_download.h"
#include "build/source_archive.h"
#include "build/tree_walk.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxBuildpackDownloadBytes = std::uint64_t{200} * 1024 * 1024;
constexpr std::size_t kMaxGitRefLength = 255;

Error invalid(std::string_view url, const std::string& why) {
  return make_error(ErrorCode::kInvalidParams,
                    "Invalid buildpack `" + std::string(url) + "`: " + why);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool valid_ref(std::string_view ref) {
  if (ref.empty() || ref.size() > kMaxGitRefLength || ref.front() == '-' || ref.front() == '/' ||
      ref.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(ref.begin(), ref.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/';
  });
}

bool looks_like_commit(std::string_view ref) {
  return ref.size() >= 7 && ref.size() <= 40 && std::all_of(ref.begin(), ref.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string indent_all(std::string_view line) { return "       " + std::string(line); }

Result<ProcessOutcome> run_tool(const FetchContext& context, std::vector<std::string> argv,
                                const std::map<std::string, std::string>& extra_env = {}) {
  auto program = find_program(argv.front(),
                              context.env.count("PATH") ? context.env.at("PATH") : "/usr/bin:/bin");
  if (!program) {
    return make_error(ErrorCode::kInternal,
                      "`" + argv.front() + "` is not installed on this machine (apt-get install " +
                          argv.front() + ")");
  }
  argv.front() = program->string();
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.env = context.env;
  for (const auto& [k, v] : extra_env) spec.env[k] = v;
  spec.cwd = context.env.count("HOME") ? fs::path(context.env.at("HOME")) : fs::path("/");
  spec.limits = context.limits;
  const LineFn indented = [&](std::string_view line) {
    if (context.output) context.output(indent_all(line));
  };
  return run_process(spec, indented, context.control);
}

Status tool_failed(const std::string& what, const ProcessOutcome& outcome) {
  if (outcome.cancelled) return make_error(ErrorCode::kInternal, "Build cancelled");
  if (outcome.timed_out) return make_error(ErrorCode::kInternal, "Build timed out");
  return make_error(ErrorCode::kInvalidParams,
                    what + " (exit " + std::to_string(outcome.exit_code) + ")");
}

Status hand_over(const fs::path& dir, const FetchContext& context) {
  if (!context.limits.run_as) return {};
  return chown_tree(dir, context.limits.run_as->first, context.limits.run_as->second);
}

// A directory the build's uid owns, for tools running as that uid to write into.
Status make_owned_dir(const fs::path& dir, const FetchContext& context) {
  std::error_code ec;
  fs::create_directory(dir, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot create " + dir.string());
  return hand_over(dir, context);
}

Status copy_builtin(const BuildpackRef& ref, const fs::path& destination,
                    const FetchContext& context) {
  const fs::path source = context.builtin_dir / ref.location;
  std::error_code ec;
  fs::copy(source, destination, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) {
    return make_error(ErrorCode::kInternal, "cannot copy the built-in buildpack " +
                                                source.string() + ": " + ec.message());
  }
  return hand_over(destination, context);
}

Status copy_local(const BuildpackRef& ref, const fs::path& destination,
                  const FetchContext& context) {
  if (auto s = make_owned_dir(destination, context); !s) return s;
  // `dir/.` copies what the directory holds, following the path itself if it is a link.
  auto outcome = run_tool(context, {"cp", "-R", "-P", "--preserve=mode,timestamps", "--",
                                    ref.location + "/.", destination.string()});
  if (!outcome) return outcome.error();
  if (!outcome->succeeded()) return tool_failed("cannot copy " + ref.location, *outcome);
  return {};
}

Status download_tarball(const BuildpackRef& ref, const fs::path& destination,
                        const FetchContext& context) {
  const fs::path download = destination.string() + ".download";
  if (auto s = make_owned_dir(download, context); !s) return s;
  const fs::path file = download / "buildpack.tgz";
  const DownloadSpec spec{ref.location, file, kMaxBuildpackDownloadBytes};
  if (auto s = download_file(spec, DownloadContext{context.env, context.limits, context.control});
      !s) {
    return make_error(s.error().code,
                      "cannot download " + display_url(ref.location) + ": " + s.error().message);
  }
  SourceLimits limits;
  limits.max_unpacked_bytes = std::uint64_t{4} * kMaxBuildpackDownloadBytes;
  limits.max_entries = 100000;
  auto extracted = extract_source_archive(file, destination, limits, "buildpack tarball");
  std::error_code ec;
  fs::remove_all(download, ec);
  if (!extracted) return extracted.error();
  return hand_over(destination, context);
}

Status clone_git(const BuildpackRef& ref, const fs::path& destination,
                 const FetchContext& context) {
  // No prompts, no system or user git config, and only these transports (submodules included).
  const std::map<std::string, std::string> git_env{{"GIT_TERMINAL_PROMPT", "0"},
                                                   {"GIT_CONFIG_NOSYSTEM", "1"},
                                                   {"GIT_CONFIG_GLOBAL", "/dev/null"},
                                                   {"GIT_ALLOW_PROTOCOL", "https:http:file"}};
  std::vector<std::string> argv{"git", "clone", "--quiet", "--depth", "1"};
  if (!ref.git_ref.empty()) argv.push_back("--branch=" + ref.git_ref);
  argv.insert(argv.end(), {"--", ref.location, destination.string()});
  auto outcome = run_tool(context, argv, git_env);
  if (!outcome) return outcome.error();
  if (outcome->succeeded()) return {};
  if (outcome->cancelled || outcome->timed_out || !looks_like_commit(ref.git_ref)) {
    return tool_failed("cannot clone " + ref.location, *outcome);
  }
  // Not a branch or tag: a commit, which needs the history.
  std::error_code ec;
  fs::remove_all(destination, ec);
  if (context.output) context.output(indent_all("Fetching the history to check out a commit\n"));
  outcome = run_tool(
      context,
      {"git", "clone", "--quiet", "--no-checkout", "--", ref.location, destination.string()},
      git_env);
  if (!outcome) return outcome.error();
  if (!outcome->succeeded()) return tool_failed("cannot clone " + ref.location, *outcome);
  outcome = run_tool(context,
                     {"git", "-C", destination.string(), "-c", "advice.detachedHead=false",
                      "checkout", "--quiet", "--detach", ref.git_ref, "--"},
                     git_env);
  if (!outcome) return outcome.error();
  if (!outcome->succeeded()) {
    return tool_failed("cannot check out " + ref.git_ref + " of " + ref.location, *outcome);
  }
  return {};
}

}  // namespace

Result<BuildpackRef> parse_buildpack_url(std::string_view url) {
  if (url.empty()) return invalid(url, "empty");
  if (url.size() > kMaxBuildpackUrlLength) return invalid(url.substr(0, 80), "too long");
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return make_error(ErrorCode::kInvalidParams,
                        "Invalid buildpack URL: it contains spaces or control characters");
    }
  }
  BuildpackRef ref;
  ref.url = std::string(url);
  ref.name = ref.url;
  for (const auto builtin : kBuiltinBuildpacks) {
    if (url == builtin || url == "heroku/" + std::string(builtin)) {
      ref.url = ref.name = "heroku/" + std::string(builtin);
      ref.location = std::string(builtin);
      ref.source = BuildpackSource::kBuiltin;
      return ref;
    }
  }
  if (url.front() == '/') {
    const fs::path normal = fs::path(url).lexically_normal();
    ref.location = normal.string();
    if (ref.location.size() > 1 && ref.location.back() == '/') ref.location.pop_back();
    ref.source = BuildpackSource::kLocalPath;
    return ref;
  }
  const bool http = starts_with(url, "https://") || starts_with(url, "http://");
  const bool file = starts_with(url, "file://");
  if (!http && !file) {
    if (url.find("://") == std::string_view::npos && url.find('@') == std::string_view::npos &&
        url.find('/') != std::string_view::npos) {
      return invalid(url,
                     "Slipway has no buildpack registry: only heroku/nodejs, heroku/python and "
                     "heroku/procfile are built in. Name a git or tarball URL instead (for "
                     "example https://github.com/heroku/heroku-buildpack-ruby).");
    }
    return invalid(url,
                   "use heroku/nodejs, heroku/python, heroku/procfile, an absolute path, an "
                   "https:// tarball or git URL, or a file:// git URL");
  }
  const auto hash = url.find('#');
  std::string_view location = url.substr(0, hash);
  const std::string_view fragment =
      hash == std::string_view::npos ? std::string_view{} : url.substr(hash + 1);
  const std::string_view scheme_rest = location.substr(location.find("://") + 3);
  if (scheme_rest.empty() || (http && scheme_rest.front() == '/')) {
    return invalid(url, "no host in the URL");
  }
  ref.location = std::string(location);
  const std::string_view path = location.substr(0, location.find('?'));
  if (http && (ends_with(path, ".tgz") || ends_with(path, ".tar.gz"))) {
    ref.source = BuildpackSource::kTarball;
    return ref;
  }
  ref.source = BuildpackSource::kGit;
  if (hash != std::string_view::npos) {
    if (!valid_ref(fragment)) {
      return invalid(url, "`#" + std::string(fragment) + "` is not a branch, tag or commit name");
    }
    ref.git_ref = std::string(fragment);
  }
  return ref;
}

Status fetch_buildpack(const BuildpackRef& ref, const fs::path& destination,
                       const FetchContext& context) {
  std::error_code ec;
  if (fs::exists(destination, ec)) {
    return make_error(ErrorCode::kInternal, destination.string() + " already exists");
  }
  Status fetched;
  switch (ref.source) {
    case BuildpackSource::kBuiltin:
      fetched = copy_builtin(ref, destination, context);
      break;
    case BuildpackSource::kLocalPath:
      fetched = copy_local(ref, destination, context);
      break;
    case BuildpackSource::kTarball:
      fetched = download_tarball(ref, destination, context);
      break;
    case BuildpackSource::kGit:
      fetched = clone_git(ref, destination, context);
      break;
  }
  if (!fetched) return fetched;
  for (const char* script : {"bin/detect", "bin/compile"}) {
    if (!fs::is_regular_file(destination / script, ec)) {
      return make_error(ErrorCode::kInvalidParams,
                        ref.url + " is not a buildpack: it has no " + script);
    }
  }
  return {};
}

}  // namespace slipway::build
