// One supervised PostgreSQL 15 server in a directory of its own:
//   <dir>/data/            PGDATA (initdb'd into data.initdb/ first, then renamed: never half)
//   <dir>/port             its loopback port, chosen at the first initdb and kept
//   <dir>/admin-password   the admin superuser's password (0600)
//   <dir>/run/             its Unix socket
//   <dir>/postgres.log     the server's output
//   <dir>/tls/             its TLS certificate chain and key (when configured)
// It listens on 127.0.0.1 only, and every connection authenticates with SCRAM (no trust, no
// peer). The postmaster runs in its own session, detached from this process, so it survives a
// restart of the control plane; a later Instance on the same dir adopts it.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "addons/postgres/pq.h"
#include "addons/postgres/process.h"
#include "common/result.h"

namespace slipway::addons::postgres {

inline constexpr std::string_view kAdminUser = "slipway";

// A certificate chain and its private key (PEM files) for the server's TLS.
struct TlsFiles {
  std::filesystem::path chain;
  std::filesystem::path key;
};

struct InstanceConfig {
  std::filesystem::path dir;
  std::filesystem::path bin_dir = "/usr/lib/postgresql/15/bin";
  // Set: passed to the server at every start (and written into the new cluster's
  // postgresql.conf at initdb). Unset: whatever the cluster's postgresql.conf says.
  std::optional<int> max_connections;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(60);
  // false only in tests: initdb --no-sync and the server runs with fsync=off (fast, and a crash
  // of the machine may lose data).
  bool durable = true;
  // Set: the server accepts TLS (`sslmode=require` clients, as on Heroku) with a copy of these
  // in <dir>/tls/, readable by the server's user only, refreshed at every start. Unset: no TLS.
  std::optional<TlsFiles> tls;
};

class Instance {
 public:
  // `runner`: whom initdb and postgres run as (see postgres_runner()).
  Instance(InstanceConfig config, std::optional<RunAs> runner);

  // initdb if the dir has no cluster yet, start unless it runs (adopting one that does), and wait
  // until it accepts connections. From then on supervise() keeps it up.
  Status ensure_running();
  // Fast shutdown, waiting for the postmaster to exit; supervise() leaves it down.
  Status stop();
  // Called every few seconds: restarts the server if it was wanted up and is not answering.
  Status supervise();

  bool healthy() const;
  bool initialized() const;
  unsigned short port() const;  // 0 until the first initdb

  // Admin (superuser) connection parameters for `dbname`, over TCP to 127.0.0.1.
  Result<ConnectParams> admin_params(const std::string& dbname) const;

  const std::filesystem::path& dir() const { return config_.dir; }
  std::filesystem::path data_dir() const { return config_.dir / "data"; }
  // The running postmaster's pid from postmaster.pid, if it is alive.
  std::optional<pid_t> postmaster_pid() const;

 private:
  Status ensure_locked();
  Status init_locked();
  Status start_locked(std::chrono::steady_clock::time_point deadline);
  Status wait_until_up(pid_t pid, std::chrono::steady_clock::time_point deadline);
  Status stop_locked();
  // The server's copy of the TLS files, and the settings that make it use them.
  Result<std::vector<std::string>> tls_settings();
  ConnectParams ping_params() const;
  std::string log_tail() const;

  const InstanceConfig config_;
  const std::optional<RunAs> runner_;
  mutable std::mutex mu_;  // one start/stop at a time
  bool wanted_ = false;    // ensure_running() was called and stop() was not
  std::atomic<unsigned short> port_{0};
};

}  // namespace slipway::addons::postgres
