// `slipway router`: the router process. Serves from the routing table file, so it keeps
// routing whether or not the control plane (or even the agent) is up.
#pragma once

#include <filesystem>
#include <string>

namespace slipway::router {

struct RouterOptions {
  std::filesystem::path data_dir;
  std::string listen = "127.0.0.1:8080";
  std::string domain = "localhost";
  int request_timeout_seconds = 30;  // H12 when a dyno sends no response within this
};

std::filesystem::path router_pid_file(const std::filesystem::path& data_dir);

int run_router(const RouterOptions& options);

}  // namespace slipway::router
