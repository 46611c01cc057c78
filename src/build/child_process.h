// Starting programs by argv (never through a shell) with an explicit environment, for git and
// its CGI. posix_spawn keeps this safe in the multi-threaded control plane: nothing runs in the
// child between fork and exec but the file actions listed here.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace slipway::build {

struct ChildSpec {
  std::vector<std::string> argv;                    // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;           // the child's whole environment
  std::filesystem::path cwd;                        // empty: this process's
  std::optional<std::filesystem::path> stdin_file;  // unset: /dev/null
  bool merge_stderr = true;                         // stderr into the stdout pipe, else inherited
  bool own_process_group = false;                   // so the whole tree can be signalled at once
};

struct Child {
  pid_t pid = -1;
  int stdout_fd = -1;  // the read end of the child's stdout; the caller closes it
};

// Starts the child with its stdout on a pipe (close-on-exec, blocking).
Result<Child> spawn_child(const ChildSpec& spec);

struct Completed {
  int exit_code = -1;  // the exit status, or 128 + the signal that ended it
  std::string output;  // stdout (and stderr when merged), at most 1 MiB kept
};

// Runs the child to completion.
Result<Completed> run_child(const ChildSpec& spec);

// This process's environment as a map.
std::map<std::string, std::string> current_environment();

// The environment for git run on Slipway's behalf (repository setup, http-backend): PATH, HOME,
// locale and sanitizer options from the current one (no GIT_* variable, no operator secrets),
// and neither system nor global git configuration, so that nothing from the host's git setup
// (core.hooksPath, say) changes what runs.
std::map<std::string, std::string> isolated_git_environment();

}  // namespace slipway::build
