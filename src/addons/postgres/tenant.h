// What one add-on gets inside a PostgreSQL server, as SQL run by the server's admin: a role that
// can log in (SCRAM, a connection limit) and a database it owns that nobody else may connect to.
// Every step is idempotent, so a provision cut short by a crash finishes when retried.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "addons/postgres/pq.h"
#include "common/result.h"

namespace slipway::addons::postgres {

struct Tenant {
  std::string database;
  std::string user;
  std::string password;
  int connection_limit = -1;  // -1: none (the server's max_connections caps it)
};

struct DatabaseStats {
  std::int64_t data_size_bytes = 0;
  std::int64_t tables = 0;
  std::int64_t connections = 0;  // to this database, not counting the one asking
  std::string server_version;    // "15.13"
};

// `admin`: superuser parameters whose dbname is the server's maintenance database (postgres).

// PUBLIC loses CONNECT (and TEMPORARY) on `postgres` and `template1`: no add-on role gets into
// the admin's databases. (template0 already refuses every connection.)
Status harden_server(const ConnectParams& admin);

// Creates (or brings up to date) the role, then the database owned by it, then revokes PUBLIC's
// rights on it.
Status create_tenant(const ConnectParams& admin, const Tenant& tenant);

// Drops the database (disconnecting its sessions) and the role; absent ones are fine.
Status drop_tenant(const ConnectParams& admin, const std::string& database,
                   const std::string& user);

// Drops and recreates the database empty, owned by `user`, then creates `extensions` in it.
Status recreate_database(const ConnectParams& admin, const std::string& database,
                         const std::string& user, const std::vector<std::string>& extensions);

// `conn`: the admin's. Creates `database` owned by `user` from template0 (or gives an existing
// one to `user`), then revokes PUBLIC's rights on it.
Status ensure_database(Connection& conn, const std::string& database, const std::string& user);
// Drops `database`, ending its sessions; an absent one is fine.
Status drop_database(Connection& conn, const std::string& database);

Result<DatabaseStats> database_stats(const ConnectParams& admin, const std::string& database);

}  // namespace slipway::addons::postgres
