// The Postgres add-on's engine: where each add-on's database lives and the operations on it.
// Shared-tier plans get a role and database of their own in one shared cluster
// (DATA_DIR/postgres/shared, or an existing server given by an admin URL); dedicated plans get
// a PostgreSQL instance of their own (DATA_DIR/postgres/dedicated/<id>). The engine keeps no
// state of its own beyond those directories: the store records each add-on's DatabaseLocation.
//
// Every method blocks (libpq, initdb, waiting for a server) and is safe to call from several
// threads; call it from a worker thread, never from an io_context's.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "addons/postgres/instance.h"
#include "addons/postgres/plans.h"
#include "addons/postgres/pq.h"
#include "addons/postgres/process.h"
#include "addons/postgres/staging.h"
#include "addons/postgres/tenant.h"
#include "common/result.h"

namespace slipway::addons::postgres {

inline constexpr std::string_view kSharedInstance = "shared";
inline constexpr std::string_view kExternalInstance = "external";

struct EngineOptions {
  std::filesystem::path data_dir;  // DATA_DIR; the engine uses DATA_DIR/postgres
  std::filesystem::path bin_dir = "/usr/lib/postgresql/15/bin";
  // postgres://admin:pw@host:port/postgres of an existing server to hold the shared tier
  // instead of the embedded cluster. Its role must be a superuser (it revokes PUBLIC's CONNECT
  // on the server's postgres and template1 databases).
  std::optional<std::string> shared_server_url;
  int shared_max_connections = 300;
  std::chrono::milliseconds start_timeout = std::chrono::seconds(60);
  bool durable = true;          // false only in tests: no fsync at all (see InstanceConfig)
  std::optional<TlsFiles> tls;  // what the servers serve TLS with (see InstanceConfig)
};

// Where an add-on's database is, and the credentials its apps use.
struct DatabaseLocation {
  std::string instance;  // "shared", "external", or the dedicated instance's id
  std::string host;      // "localhost" for our own servers
  unsigned short port = 0;
  std::string database;
  std::string user;
  std::string password;

  // postgres://user:password@host:port/database, as DATABASE_URL.
  std::string url() const;
  bool operator==(const DatabaseLocation&) const = default;
};

class Engine {
 public:
  // Prepares DATA_DIR/postgres (0711 when root, so the postgres user can pass through to its
  // instance directories; 0700 otherwise). Starts nothing.
  static Result<std::unique_ptr<Engine>> open(EngineOptions options);

  // Starts (or adopts) the shared cluster, or checks the external server, and restricts who may
  // connect to its admin databases. The daemon is to call it at start when any shared database
  // exists; provision() calls it on first need.
  Status ensure_shared();
  // Starts (or adopts) the server holding `location` and supervises it from then on; the daemon
  // is to call it at start for each dedicated add-on in the store. kNotFound if it was never
  // provisioned (nothing is created here).
  Status ensure_running(const DatabaseLocation& location);

  // Idempotent by add-on id: called again (after a crash midway, or twice) it finishes what is
  // missing and returns the same location. A dedicated plan's id names its instance; a plan
  // change provisions under a new id.
  Result<DatabaseLocation> provision(const std::string& addon_id, const Plan& plan);
  // Drops the database and role; a dedicated instance is stopped and its directory removed.
  // Idempotent.
  Status deprovision(const DatabaseLocation& location);
  // `pg:reset`: the database dropped and created again empty, with `extensions` created.
  Status reset(const DatabaseLocation& location, const std::vector<std::string>& extensions);
  Result<DatabaseStats> stats(const DatabaseLocation& location);
  // Restores and copies into an add-on (see staging.h), `key` naming the work: stage() makes an
  // empty database beside the location's, owned by its role, and returns where it is (the same
  // server and credentials); swap_in() puts it in place of the location's database (ending that
  // database's sessions; returns how many); drop_work_databases() drops what is left of `key`'s
  // work, the database swap_in() replaced included.
  Result<DatabaseLocation> stage(const DatabaseLocation& location, const std::string& key);
  Result<int> swap_in(const DatabaseLocation& location, const std::string& key);
  Status drop_work_databases(const DatabaseLocation& location, const std::string& key);
  Result<SwapState> swap_state(const DatabaseLocation& location, const std::string& key);
  Result<std::vector<std::string>> work_database_keys(const DatabaseLocation& location);
  // A URL with full rights on the location's database (the server's admin), for the platform's
  // own backups and copies; starts (or adopts) the server first. A secret: never log it.
  Result<std::string> admin_url(const DatabaseLocation& location);

  // Plan changes (see move.h). Stops or restores the logins of the location's role (stopping
  // also ends its sessions), so the source of a copy takes no more writes.
  Status set_logins(const DatabaseLocation& location, bool allowed);
  // Copies `from` into the empty database at `to` (objects owned by to's role), then checks
  // every table's row count and every sequence on both sides.
  Status copy_and_verify(const DatabaseLocation& from, const DatabaseLocation& to);

  // The same in two steps, with the app still up for the long one (see stream.h); `key` names
  // the move. start_move empties `to` and starts streaming `from` into it, or says why it
  // cannot (then finish_move copies everything). move_ready: whether the initial copy is done.
  // finish_move, once `from` is fenced: catches up, copies the sequences and verifies, or
  // copies and verifies when nothing was streamed. drop_move removes what a failed move left.
  Result<std::optional<std::string>> start_move(const DatabaseLocation& from,
                                                const DatabaseLocation& to, const std::string& key);
  Result<bool> move_started(const DatabaseLocation& to, const std::string& key);
  Result<bool> move_ready(const DatabaseLocation& to, const std::string& key);
  Status finish_move(const DatabaseLocation& from, const DatabaseLocation& to,
                     const std::string& key);
  Status drop_move(const DatabaseLocation& from, const std::optional<DatabaseLocation>& to,
                   const std::string& key);

  // The supervision tick (every few seconds): restarts each server this engine started or
  // adopted that stopped answering. Returns the first failure; the next tick tries again.
  Status supervise();

  // Stops every server this engine started or adopted (fast shutdown). The daemon calls it when
  // it is stopped on purpose (SIGTERM), as it stops the rest of the data plane; a crash of the
  // control plane leaves the servers running, to be adopted by the next start.
  Status stop_all();

  // Whether the embedded shared cluster has been created (before the first shared provision it
  // has not; with an external server it never is).
  bool shared_cluster_exists() const;

 private:
  explicit Engine(EngineOptions options, std::optional<RunAs> runner);

  std::filesystem::path root() const { return options_.data_dir / "postgres"; }
  std::shared_ptr<Instance> dedicated(const std::string& id);
  Result<ConnectParams> admin_params(const DatabaseLocation& location, bool start);
  // Superuser parameters for both databases of a move (their servers started first).
  Result<std::pair<ConnectParams, ConnectParams>> move_ends(const DatabaseLocation& from,
                                                            const DatabaseLocation& to);
  Result<DatabaseLocation> provision_shared(const std::string& addon_id, const Plan& plan);
  Result<DatabaseLocation> provision_dedicated(const std::string& addon_id, const Plan& plan);
  Status prepare(Instance& instance);

  const EngineOptions options_;
  const std::optional<RunAs> runner_;
  std::optional<ConnectParams> external_;  // the shared tier's existing server
  std::shared_ptr<Instance> shared_;
  std::mutex mu_;  // guards dedicated_ and hardened_
  std::map<std::string, std::shared_ptr<Instance>> dedicated_;
  std::map<std::string, bool> hardened_;  // servers whose admin databases are shut to PUBLIC
};

}  // namespace slipway::addons::postgres
