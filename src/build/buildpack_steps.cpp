#include "build/buildpack_steps.h"

#include <utility>

#include "build/release_yaml.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

// Sources each file named before "--" (in this shell, so what they export reaches the script),
// then replaces itself with the command after "--". A constant script: the file names and the
// command are arguments, never interpolated into it.
constexpr const char* kSourceExports =
    "while [ \"$#\" -gt 0 ] && [ \"$1\" != -- ]; do . \"$1\" || exit 1; shift; done; shift; "
    "exec \"$@\"";

constexpr std::size_t kMaxDetectOutput = std::size_t{64} * 1024;

ProcessSpec spec_for(const StepContext& context, const Buildpack& buildpack,
                     const std::string& script, const std::vector<std::string>& args) {
  ProcessSpec spec;
  const std::string program = (buildpack.dir / script).string();
  if (buildpack.exports.empty()) {
    spec.argv.push_back(program);
  } else {
    spec.argv = {"/bin/bash", "-c", kSourceExports, "slipway-buildpack-exports"};
    for (const auto& file : buildpack.exports) spec.argv.push_back(file.string());
    spec.argv.emplace_back("--");
    spec.argv.push_back(program);
  }
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = context.env;
  spec.cwd = context.build_dir;
  spec.limits = context.limits;
  return spec;
}

std::string first_line(const std::string& text) {
  const auto end = text.find_first_of("\r\n");
  std::string line = text.substr(0, end);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
  const auto start = line.find_first_not_of(" \t");
  return start == std::string::npos ? std::string() : line.substr(start);
}

Error failed(const Buildpack& buildpack, const std::string& script, const ProcessOutcome& outcome) {
  if (outcome.cancelled) return make_error(ErrorCode::kInternal, "Build cancelled.");
  if (outcome.timed_out) return make_error(ErrorCode::kInternal, "Build timed out.");
  return make_error(ErrorCode::kInvalidParams, script + " of " + buildpack.ref.url + " failed (" +
                                                   describe_outcome(outcome) + ").");
}

}  // namespace

std::string describe_outcome(const ProcessOutcome& outcome) {
  if (outcome.cancelled) return "cancelled";
  if (outcome.timed_out) return "timed out";
  if (outcome.signal != 0) return "killed by signal " + std::to_string(outcome.signal);
  return "exit " + std::to_string(outcome.exit_code);
}

Result<Detection> run_detect(const StepContext& context, const Buildpack& buildpack) {
  ProcessSpec spec = spec_for(context, buildpack, "bin/detect", {context.build_dir.string()});
  spec.capture_stdout = true;
  spec.max_capture = kMaxDetectOutput;
  auto outcome = run_process(spec, context.output, context.control);
  if (!outcome) return outcome.error();
  if (outcome->succeeded()) {
    std::string name = first_line(outcome->captured);
    if (name.empty()) name = buildpack.ref.url;
    return Detection{true, std::move(name)};
  }
  if (outcome->exit_code == 1 && outcome->signal == 0 && !outcome->cancelled &&
      !outcome->timed_out) {
    return Detection{false, {}};
  }
  return failed(buildpack, "bin/detect", *outcome);
}

Result<ProcessOutcome> run_compile(const StepContext& context, const Buildpack& buildpack) {
  return run_process(
      spec_for(context, buildpack, "bin/compile",
               {context.build_dir.string(), context.cache_dir.string(), context.env_dir.string()}),
      context.output, context.control);
}

Result<std::string> run_release(const StepContext& context, const Buildpack& buildpack) {
  std::error_code ec;
  if (!fs::exists(buildpack.dir / "bin/release", ec)) return std::string();
  ProcessSpec spec = spec_for(context, buildpack, "bin/release", {context.build_dir.string()});
  spec.capture_stdout = true;
  spec.max_capture = kMaxReleaseYamlBytes;
  auto outcome = run_process(spec, context.output, context.control);
  if (!outcome) return outcome.error();
  if (!outcome->succeeded()) return failed(buildpack, "bin/release", *outcome);
  if (outcome->capture_truncated) {
    return make_error(ErrorCode::kInvalidParams,
                      "bin/release of " + buildpack.ref.url + " printed more than " +
                          std::to_string(kMaxReleaseYamlBytes / 1024) + " KiB.");
  }
  return std::move(outcome->captured);
}

}  // namespace slipway::build
