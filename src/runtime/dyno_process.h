// Starting and signalling one dyno's process: `bash -c <command>` (the Procfile command is meant
// for a shell, as on Heroku) in its own session and process group, with exactly the environment
// given (nothing of the agent's leaks in), stdout and stderr on one pipe.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>

#include "common/result.h"

namespace slipway::runtime {

struct SpawnedProcess {
  pid_t pid = -1;      // also the process group id
  int output_fd = -1;  // non-blocking read end of the stdout+stderr pipe
};

Result<SpawnedProcess> spawn_dyno(const std::string& command,
                                  const std::map<std::string, std::string>& env,
                                  const std::filesystem::path& cwd);

// Signals the dyno's whole process group (its children too).
void signal_group(pid_t pgid, int signal);

// A port on 127.0.0.1 that was free a moment ago.
int pick_free_port();

// True when something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(int port);

}  // namespace slipway::runtime
