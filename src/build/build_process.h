// Running one program of a build (a buildpack's bin/detect, bin/compile, bin/release, git, curl):
// by argv, never through a shell; with exactly the environment given; in its own session and
// process group; lowered priority, a memory limit and another uid applied in the child before
// exec; its output streamed line by line as it comes. Blocks the calling thread until the program
// and everything it left in its process group are gone.
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

// What is applied in the child before exec (and so to everything it starts).
struct ProcessLimits {
  std::optional<std::pair<uid_t, gid_t>> run_as;  // setgroups({gid}), setgid, setuid
  // RLIMIT_DATA (heap and private writable mappings), not RLIMIT_AS: address-space limits break
  // runtimes that reserve large virtual ranges without using them (V8's WebAssembly memories
  // reserve 10 GiB each, so `npm` tooling fails under a 2 GiB RLIMIT_AS). 0: no limit.
  std::uint64_t memory_limit_bytes = 0;
  int nice_increment = 0;  // added to the current niceness
  // RLIMIT_FSIZE: a write past it fails (SIGXFSZ). Caps downloads whose size the server does
  // not announce, which curl's --max-filesize cannot. 0: no limit.
  std::uint64_t max_file_bytes = 0;
  // Core dumps are always off (RLIMIT_CORE 0): a crashing build must not fill the disk.
};

struct ProcessSpec {
  std::vector<std::string> argv;           // argv[0] is the program's absolute path
  std::map<std::string, std::string> env;  // the whole environment; nothing is inherited
  std::filesystem::path cwd;
  ProcessLimits limits;
  // When set, stdout is collected (up to max_capture bytes) instead of streamed, and only stderr
  // goes to the line callback; otherwise both go, merged in order, to the line callback.
  bool capture_stdout = false;
  std::size_t max_capture = std::size_t{1024} * 1024;
};

struct ProcessOutcome {
  int exit_code = -1;  // when the program exited
  int signal = 0;      // when a signal killed it
  bool cancelled = false;
  bool timed_out = false;
  std::string captured;  // stdout, with capture_stdout
  bool capture_truncated = false;
  bool succeeded() const { return !cancelled && !timed_out && signal == 0 && exit_code == 0; }
};

struct ProcessControl {
  const std::atomic<bool>* cancel = nullptr;  // polled; when true the process group is killed
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Between SIGTERM and SIGKILL when cancelled or past the deadline.
  std::chrono::milliseconds kill_grace{2000};
};

// Called with each line of output, its newline included (lines longer than 64 KiB are cut).
using LineFn = std::function<void(std::string_view line)>;

// Runs the program to completion. An error only when it could not be started (fork failed, the
// directory or uid could not be entered, exec failed: "cannot run /x/bin/compile: Permission
// denied"); a program that ran and failed is an outcome. When the program exits, whatever it left
// running in its process group is killed (SIGKILL) before the call returns.
Result<ProcessOutcome> run_process(const ProcessSpec& spec, const LineFn& on_line,
                                   const ProcessControl& control = {});

// The first executable `name` in the colon-separated `search_path`.
std::optional<std::filesystem::path> find_program(std::string_view name,
                                                  std::string_view search_path);

}  // namespace slipway::build
