// Starting and signalling one dyno's process: `bash -c <command>` (the Procfile command is meant
// for a shell, as on Heroku) after sourcing the app's .profile.d/*.sh and .profile, as Heroku's
// dynos do, in its own session and process group, with exactly the environment
// given (nothing of the agent's leaks in: no environment, no open file descriptor), stdout and
// stderr on one pipe. When the agent runs as root, the dyno runs as its app's own user and group
// (runtime/isolation.h), with no supplementary groups and no way to regain privileges.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "common/result.h"
#include "runtime/state_files.h"

namespace slipway::runtime {

struct SpawnedProcess {
  pid_t pid = -1;      // also the process group id
  int output_fd = -1;  // non-blocking read end of the stdout+stderr pipe
};

// Exit statuses of a dyno that never got to run its command (each with a line of explanation
// on its output): it is never run with more privileges than its app's user's.
constexpr int kExitSetgroupsFailed = 121;
constexpr int kExitSetgidFailed = 122;
constexpr int kExitSetuidFailed = 123;
constexpr int kExitPrivilegesKept = 124;
constexpr int kExitChdirFailed = 126;
constexpr int kExitExecFailed = 127;

// `identity`: the app's user (see dyno_credentials); refused when the agent is root and it is
// missing or privileged.
Result<SpawnedProcess> spawn_dyno(const std::string& command,
                                  const std::map<std::string, std::string>& env,
                                  const std::filesystem::path& cwd,
                                  const std::optional<UnixIdentity>& identity);

// Signals the dyno's whole process group (its children too).
void signal_group(pid_t pgid, int signal);

// A port on 127.0.0.1 that was free a moment ago.
int pick_free_port();

// True when something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(int port);

}  // namespace slipway::runtime
