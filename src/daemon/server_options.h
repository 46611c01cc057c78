// `slipway server` settings: each is a flag and an environment variable (see src/cli).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"

namespace slipway::daemon {

struct ServerOptions {
  std::filesystem::path data_dir = ".slipway";
  std::string api_listen = "127.0.0.1:5000";
  std::string router_listen = "127.0.0.1:8080";
  std::string domain = "localhost";
  std::string admin_email = "admin@localhost";
  std::chrono::seconds stop_grace{30};  // also the agent's: SIGTERM, then SIGKILL after this
  // The built-in buildpacks (the repository's buildpacks/ unless installed elsewhere).
  std::filesystem::path buildpacks_dir = SLIPWAY_DEFAULT_BUILDPACKS_DIR;
  std::uint64_t max_push_bytes = std::uint64_t{500} * 1024 * 1024;  // Heroku's slug limit
  // PostgreSQL 15's programs (initdb, postgres, pg_dump, pg_restore).
  std::filesystem::path postgres_bin_dir = "/usr/lib/postgresql/15/bin";
  // postgres://admin:pw@host:port/postgres of an existing server for the shared-tier plans,
  // instead of the embedded cluster. A secret: never logged.
  std::string postgres_admin_url;
  // Backups, restores and copies are stopped (failed, nothing kept) when the disk holding the
  // data dir has less than this free: they must not fill the disk the databases live on.
  std::uint64_t transfer_disk_reserve = std::uint64_t{1} << 30;
  // Restores load a table with at least this much archived data over every core (0: never).
  std::uint64_t restore_split_table_size = std::uint64_t{16} << 20;
};

struct HostPort {
  std::string host;
  unsigned short port = 0;
};

// "127.0.0.1:5000", "[::1]:5000", "localhost:0". Port 0 asks the OS for a free port.
Result<HostPort> parse_host_port(const std::string& text);

}  // namespace slipway::daemon
