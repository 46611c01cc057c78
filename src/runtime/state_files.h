// The files through which the control plane and the runtime agent talk. Each is JSON, written
// atomically (temp file + rename), so either side may crash or restart at any moment and the
// other keeps working from the last complete version:
//   DATA_DIR/runtime/desired/<app id>.json  control plane -> agent: what should run
//   DATA_DIR/runtime/status/<app id>.json   agent -> control plane: what runs
//   DATA_DIR/runtime/routes.json            agent -> router: where each app's up web dynos are
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace slipway::runtime {

struct ProcessFormation {
  std::int64_t quantity = 0;
  std::string size = "Basic";
};

// The Unix user and group an app's dynos run as when the agent runs as root (app isolation).
struct UnixIdentity {
  std::int64_t uid = 0;
  std::int64_t gid = 0;
  bool operator==(const UnixIdentity&) const = default;
};

struct DesiredApp {
  std::string app_id;
  std::string app_name;
  std::string release_id;
  std::int64_t release_version = 0;
  std::optional<std::string> slug_sha256;  // no slug: nothing to run
  std::optional<UnixIdentity> identity;    // none: a root agent runs none of its dynos
  std::map<std::string, std::string> process_types;
  std::map<std::string, std::string> config;
  std::map<std::string, ProcessFormation> formation;
  bool maintenance = false;
  // Restart requests: bumping a counter restarts the dynos it covers.
  std::int64_t restart_all = 0;
  std::map<std::string, std::int64_t> restart_type;
  std::map<std::string, std::int64_t> restart_dyno;
};

struct DynoStatus {
  std::string name;  // "web.1"
  std::string type;
  std::string command;
  std::string state;  // starting, up, crashed, down
  std::string size;
  std::int64_t release_version = 0;
  std::string release_id;
  std::string updated_at;
  int port = 0;
};

struct AppRoute {
  std::string app_id;  // names the app's log file
  bool maintenance = false;
  std::vector<std::pair<std::string, int>> backends;  // up web dynos: name, loopback port
};

struct Paths {
  explicit Paths(std::filesystem::path data_dir);
  std::filesystem::path data_dir;
  std::filesystem::path desired_dir() const { return data_dir / "runtime" / "desired"; }
  std::filesystem::path status_dir() const { return data_dir / "runtime" / "status"; }
  std::filesystem::path routes_file() const { return data_dir / "runtime" / "routes.json"; }
  std::filesystem::path releases_dir() const { return data_dir / "runtime" / "releases"; }
  std::filesystem::path run_dir() const { return data_dir / "run"; }
  std::filesystem::path blob(const std::string& sha256) const {
    return data_dir / "blobs" / sha256.substr(0, 2) / sha256;
  }
};

Status write_desired(const Paths& paths, const DesiredApp& app);
Status remove_desired(const Paths& paths, const std::string& app_id);
std::vector<DesiredApp> read_all_desired(const Paths& paths);

Status write_status(const Paths& paths, const std::string& app_id,
                    const std::vector<DynoStatus>& dynos);
std::vector<DynoStatus> read_status(const Paths& paths, const std::string& app_id);

Status write_routes(const Paths& paths, const std::map<std::string, AppRoute>& routes);
// The routes in routes.json's text; nullopt if it is not a routes file.
std::optional<std::map<std::string, AppRoute>> parse_routes(std::string_view text);

}  // namespace slipway::runtime
