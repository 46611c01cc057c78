// Running PostgreSQL's programs by argv (never a shell): initdb to completion, the postmaster as
// a detached daemon of its own session, both as the `postgres` system user when we are root
// (PostgreSQL refuses to run as root).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace slipway::addons::postgres {

struct RunAs {
  uid_t uid;
  gid_t gid;
};

// Whom PostgreSQL runs as: nullopt (this process's user) unless we are root, then Debian's
// `postgres` system user; an error when root and that user does not exist.
Result<std::optional<RunAs>> postgres_runner();

// chown to `runner` (no-op without one), never through a symlink.
Status hand_to(const std::filesystem::path& path, const std::optional<RunAs>& runner);

// Runs argv[0] (an absolute path) in `cwd` with a minimal environment and waits; returns its
// combined stdout/stderr. A non-zero exit is an error carrying the output's last lines.
Result<std::string> run_program(const std::vector<std::string>& argv,
                                const std::filesystem::path& cwd,
                                const std::optional<RunAs>& runner);
// The same with `env` ("KEY=value") added to the minimal environment: how secrets such as
// PGPASSWORD reach a program without appearing in its argv.
Result<std::string> run_program(const std::vector<std::string>& argv,
                                const std::filesystem::path& cwd,
                                const std::optional<RunAs>& runner,
                                const std::vector<std::string>& env);

// Starts argv[0] detached: its own session, double-forked (init reaps it, so no zombie here and
// it outlives this process), stdin /dev/null, stdout/stderr appended to `log`, no descriptor of
// ours inherited. Returns the daemon's pid once exec has succeeded.
Result<pid_t> spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                           const std::filesystem::path& log, const std::optional<RunAs>& runner);

// True when `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

}  // namespace slipway::addons::postgres
