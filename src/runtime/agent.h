// `slipway agent`: the runtime agent process. It keeps dynos running from the desired-state
// files whether or not the control plane is up; SIGTERM/SIGINT stop every dyno, then the agent.
#pragma once

#include <filesystem>

#include "runtime/supervisor.h"

namespace slipway::runtime {

struct AgentOptions {
  std::filesystem::path data_dir;
  SupervisorOptions supervisor;
};

// DATA_DIR/run/agent.pid while the agent runs.
std::filesystem::path agent_pid_file(const std::filesystem::path& data_dir);

int run_agent(const AgentOptions& options);

}  // namespace slipway::runtime
