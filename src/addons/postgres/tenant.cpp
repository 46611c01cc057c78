#include "addons/postgres/tenant.h"

namespace slipway::addons::postgres {
namespace {

constexpr std::string_view kDuplicateObject = "42710";    // CREATE ROLE: it exists
constexpr std::string_view kDuplicateDatabase = "42P04";  // CREATE DATABASE: it exists

ConnectParams with_db(ConnectParams params, const std::string& database) {
  params.set("dbname", database);
  return params;
}

Error context(const std::string& what, const Error& e) {
  return make_error(e.code, what + ": " + e.message);
}

Status run(Connection& conn, const std::string& sql, const std::string& what) {
  if (auto r = conn.query(sql); !r) return context(what, r.error());
  return {};
}

// The role with its password as a SCRAM verifier, so no statement (or server log line) holds
// the password itself.
Status ensure_role(Connection& conn, const Tenant& tenant) {
  auto user = conn.identifier(tenant.user);
  if (!user) return user.error();
  auto verifier = conn.password_verifier(tenant.user, tenant.password);
  if (!verifier) return verifier.error();
  auto secret = conn.literal(*verifier);
  if (!secret) return secret.error();
  const std::string options = " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION" +
                              std::string(" CONNECTION LIMIT ") +
                              std::to_string(tenant.connection_limit) + " PASSWORD " + *secret;
  auto created = conn.query("CREATE ROLE " + *user + options);
  if (created.ok()) return {};
  if (conn.last_sqlstate() != kDuplicateObject) {
    return context("cannot create role " + tenant.user, created.error());
  }
  return run(conn, "ALTER ROLE " + *user + " WITH" + options, "cannot update role " + tenant.user);
}

}  // namespace

Status ensure_database(Connection& conn, const std::string& database, const std::string& user) {
  auto db = conn.identifier(database);
  auto owner = conn.identifier(user);
  if (!db) return db.error();
  if (!owner) return owner.error();
  // template0: a clean database whatever was installed into template1 of an existing server.
  if (auto r = conn.query("CREATE DATABASE " + *db + " OWNER " + *owner + " TEMPLATE template0");
      !r) {
    if (conn.last_sqlstate() != kDuplicateDatabase) {
      return context("cannot create database " + database, r.error());
    }
    if (auto s = run(conn, "ALTER DATABASE " + *db + " OWNER TO " + *owner,
                     "cannot set the owner of " + database);
        !s) {
      return s;
    }
  }
  return run(conn, "REVOKE ALL ON DATABASE " + *db + " FROM PUBLIC",
             "cannot restrict database " + database);
}

Status drop_database(Connection& conn, const std::string& database) {
  auto db = conn.identifier(database);
  if (!db) return db.error();
  if (conn.server_version() >= 130000) {
    return run(conn, "DROP DATABASE IF EXISTS " + *db + " WITH (FORCE)",
               "cannot drop database " + database);
  }
  if (auto r = conn.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> "
          "pg_backend_pid()",
          {database});
      !r) {
    return context("cannot disconnect " + database, r.error());
  }
  return run(conn, "DROP DATABASE IF EXISTS " + *db, "cannot drop database " + database);
}

Status harden_server(const ConnectParams& admin) {
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  for (const char* db : {"postgres", "template1"}) {
    if (auto s =
            run(*conn, std::string("REVOKE CONNECT, TEMPORARY ON DATABASE ") + db + " FROM PUBLIC",
                std::string("cannot restrict ") + db);
        !s) {
      return s;
    }
  }
  return {};
}

Status create_tenant(const ConnectParams& admin, const Tenant& tenant) {
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  if (auto s = ensure_role(*conn, tenant); !s) return s;
  return ensure_database(*conn, tenant.database, tenant.user);
}

Status drop_tenant(const ConnectParams& admin, const std::string& database,
                   const std::string& user) {
  auto conn = Connection::open(admin);
  if (!conn) return conn.error();
  if (auto s = drop_database(*conn, database); !s) return s;
  auto role = conn->identifier(user);
  if (!role) return role.error();
  return run(*conn, "DROP ROLE IF EXISTS " + *role, "cannot drop role " + user);
}

Status recreate_database(const ConnectParams& admin, const std::string& database,
                         const std::string& user, const std::vector<std::string>& extensions) {
  {
    auto conn = Connection::open(admin);
    if (!conn) return conn.error();
    auto exists = conn->query("SELECT 1 FROM pg_roles WHERE rolname = $1", {user});
    if (!exists) return exists.error();
    if (exists->empty())
      return make_error(ErrorCode::kNotFound, "role " + user + " does not exist");
    if (auto s = drop_database(*conn, database); !s) return s;
    if (auto s = ensure_database(*conn, database, user); !s) return s;
  }
  if (extensions.empty()) return {};
  auto conn = Connection::open(with_db(admin, database));
  if (!conn) return conn.error();
  for (const auto& extension : extensions) {
    auto name = conn->identifier(extension);
    if (!name) return name.error();
    if (auto s = run(*conn, "CREATE EXTENSION IF NOT EXISTS " + *name,
                     "cannot create extension " + extension);
        !s) {
      return s;
    }
  }
  return {};
}

Result<DatabaseStats> database_stats(const ConnectParams& admin, const std::string& database) {
  auto conn = Connection::open(with_db(admin, database));
  if (!conn) return conn.error();
  auto rows = conn->query(
      "SELECT pg_database_size(current_database()),"
      " (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      "   WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
      "   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'),"
      " (SELECT count(*) FROM pg_stat_activity"
      "   WHERE datname = current_database() AND pid <> pg_backend_pid())");
  if (!rows) return context("cannot read the statistics of " + database, rows.error());
  const Row& row = rows->at(0);
  DatabaseStats stats;
  stats.data_size_bytes = std::stoll(row[0].value_or("0"));
  stats.tables = std::stoll(row[1].value_or("0"));
  stats.connections = std::stoll(row[2].value_or("0"));
  const int version = conn->server_version();
  stats.server_version = std::to_string(version / 10000) + "." + std::to_string(version % 100);
  return stats;
}

}  // namespace slipway::addons::postgres
