// Starting, adopting and stopping the data-plane processes (the runtime agent; later the
// router). They run detached from `slipway server`, so a crashed control plane leaves them
// running; a restarted one adopts them through their pid files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace slipway::daemon {

struct DataPlaneProcess {
  std::string name;                // "agent"
  std::vector<std::string> args;   // after the executable, e.g. {"agent", "--data-dir", D}
  std::filesystem::path pid_file;  // written by the process itself
  std::filesystem::path log_file;  // its stdout and stderr
};

// The pid in `pid_file` if that process is alive and is a slipway process; else 0.
pid_t running_pid(const std::filesystem::path& pid_file);

// Adopts the running process, or starts one (detached: its own session, reparented to init)
// and waits until it has written its pid file. Returns its pid and whether it was adopted.
Result<std::pair<pid_t, bool>> ensure_running(const std::filesystem::path& executable,
                                              const DataPlaneProcess& process);

// SIGTERM, then waits up to `grace` for it to exit; SIGKILL after that.
void stop_process(pid_t pid, std::chrono::seconds grace);

}  // namespace slipway::daemon
