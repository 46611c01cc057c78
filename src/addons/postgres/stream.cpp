#include "addons/postgres/stream.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "addons/postgres/move.h"

namespace slipway::addons::postgres {
namespace {

using Clock = std::chrono::steady_clock;

// User tables, as the publication lists them; relkind 'r' includes partitions (the rows live
// there), and leaves out partitioned parents, views and the system schemas.
constexpr std::string_view kUserTables =
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

// What a publication can carry: a logged table whose UPDATE and DELETE can be published (a
// replica identity that names its rows). The rest is copied in the cut-over.
constexpr std::string_view kStreamable =
    "c.relpersistence = 'p' AND (c.relreplident = 'f' OR EXISTS (SELECT 1 FROM pg_index i"
    " WHERE i.indrelid = c.oid AND ((c.relreplident = 'd' AND i.indisprimary)"
    " OR (c.relreplident = 'i' AND i.indisreplident))))";

Result<std::string> single(Connection& conn, std::string_view sql,
                           const std::vector<std::optional<std::string>>& params = {}) {
  auto rows = conn.query(sql, params);
  if (!rows) return rows.error();
  if (rows->empty() || rows->front().empty()) return std::string();
  return rows->front().front().value_or("");
}

// libpq keyword=value text for the subscription to reach the source, every value quoted.
std::string conninfo(const ConnectParams& params) {
  std::string out;
  for (const auto& [key, value] : params.values()) {
    if (key == "connect_timeout" || key == "application_name") continue;
    std::string quoted = "'";
    for (const char c : value) {
      if (c == '\'' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += "'";
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    out += quoted;
  }
  return out;
}

// pg_dump --table patterns, every part quoted (so matched literally), of the user tables the
// publication `name` leaves out: they are copied in the cut-over.
Result<std::vector<std::string>> unstreamed_tables(Connection& source, const std::string& name) {
  auto rows = source.query(
      "SELECT format('\"%s\".\"%s\"', replace(n.nspname, '\"', '\"\"'),"
      " replace(c.relname, '\"', '\"\"')) " +
          std::string(kUserTables) +
          " AND NOT EXISTS (SELECT 1 FROM pg_publication_tables p WHERE p.pubname = $1"
          " AND p.schemaname = n.nspname AND p.tablename = c.relname) ORDER BY 1",
      {name});
  if (!rows) return rows.error();
  std::vector<std::string> out;
  for (const auto& row : *rows) out.push_back(row.at(0).value_or(""));
  return out;
}

// Whether the subscription's workers hit an error (a table changed shape midway, say); they
// would retry forever, so the move gives up instead.
Result<bool> subscription_errors(Connection& target, const std::string& name) {
  auto errors = single(target,
                       "SELECT coalesce(sum(sync_error_count + apply_error_count), 0)"
                       " FROM pg_stat_subscription_stats WHERE subname = $1",
                       {name});
  if (!errors) return errors.error();
  return *errors != "0";
}

Error replication_failed() {
  return make_error(ErrorCode::kInternal,
                    "logical replication into the new database failed (its server's log says "
                    "why; a table changed shape meanwhile, say)");
}

// The subscription's workers stop, with no session of theirs left on either side.
Status stop_subscription(Connection& target, const std::string& subscription_id,
                         const std::string& sub) {
  if (auto r = target.query("ALTER SUBSCRIPTION " + sub + " DISABLE"); !r) return r.error();
  // A table-copy worker can be waiting to create its slot, which would wait for DROP
  // SUBSCRIPTION's own transaction when both ends are one cluster: it is ended, not awaited.
  return end_sessions(target,
                      "SELECT pg_terminate_backend(pid) FROM pg_stat_subscription"
                      " WHERE subid = $1::oid AND pid IS NOT NULL",
                      "SELECT count(pid) FROM pg_stat_subscription WHERE subid = $1::oid",
                      {subscription_id}, "the replication workers did not stop");
}

}  // namespace

std::string stream_name(std::string_view key) {
  std::string out = "slipway_move_";
  for (const char c : key) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
    if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
  }
  return out.substr(0, 63);
}

Result<std::optional<std::string>> why_not_streamable(const ConnectParams& source) {
  auto conn = Connection::open(source);
  if (!conn) return conn.error();
  auto wal_level = single(*conn, "SHOW wal_level");
  if (!wal_level) return wal_level.error();
  if (*wal_level != "logical") {
    return std::optional<std::string>("its server's wal_level is " + *wal_level + ", not logical");
  }
  auto large_objects = single(*conn, "SELECT count(*) FROM pg_largeobject_metadata");
  if (!large_objects) return large_objects.error();
  if (*large_objects != "0") {
    return std::optional<std::string>("it holds large objects, which logical replication skips");
  }
  auto streamable = single(
      *conn, "SELECT count(*) " + std::string(kUserTables) + " AND " + std::string(kStreamable));
  if (!streamable) return streamable.error();
  if (*streamable == "0") {
    return std::optional<std::string>("none of its tables has a primary key");
  }
  return std::optional<std::string>();
}

Status start_stream(const std::filesystem::path& bin_dir, const std::filesystem::path& work_dir,
                    const ConnectParams& source, const ConnectParams& target,
                    const std::string& target_role, const std::string& name) {
  if (auto s = copy_database(bin_dir, work_dir, source, target, target_role, CopyWhat::kSchema);
      !s) {
    return s;
  }
  auto from = Connection::open(source);
  if (!from) return from.error();
  auto tables =
      from->query("SELECT format('%I.%I', n.nspname, c.relname) " + std::string(kUserTables) +
                  " AND " + std::string(kStreamable) + " ORDER BY 1");
  if (!tables) return tables.error();
  std::string list;
  for (const auto& row : *tables) {
    if (!list.empty()) list += ", ";
    list += row.at(0).value_or("");  // quoted by the server's format('%I')
  }
  auto id = from->identifier(name);
  if (!id) return id.error();
  if (auto r = from->query("CREATE PUBLICATION " + *id + " FOR TABLE " + list); !r) {
    return r.error();
  }
  // Waits for the transactions running now (on the whole server) to end, so the slot's snapshot
  // is consistent; bounded, as one left open would hold the add-on worker for ever.
  if (auto r = from->query("SET statement_timeout = '5min'"); !r) return r.error();
  if (auto r = from->query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", {name});
      !r) {
    if (from->last_sqlstate() == "57014") {  // query_canceled: the timeout
      return make_error(ErrorCode::kInternal,
                        "a transaction on the old database's server stayed open for over 5 "
                        "minutes (see pg_stat_activity); try again once it has ended");
    }
    return r.error();
  }
  if (auto r = from->query("RESET statement_timeout"); !r) return r.error();
  auto to = Connection::open(target);
  if (!to) return to.error();
  auto connection = to->literal(conninfo(source));
  if (!connection) return connection.error();
  auto slot = to->literal(name);
  if (!slot) return slot.error();
  if (auto r = to->query(
          "CREATE SUBSCRIPTION " + *id + " CONNECTION " + *connection + " PUBLICATION " + *id +
          " WITH (create_slot = false, slot_name = " + *slot + ", copy_data = true)");
      !r) {
    return r.error();
  }
  auto rest = unstreamed_tables(*from, name);
  if (!rest) return rest.error();
  spdlog::info("postgres: streaming {} tables to the new database ({}); {} copied in the cut-over",
               tables->size(), name, rest->size());
  return {};
}

Result<bool> stream_exists(const ConnectParams& target, const std::string& name) {
  auto to = Connection::open(target);
  if (!to) return to.error();
  auto count = single(*to, "SELECT count(*) FROM pg_subscription WHERE subname = $1", {name});
  if (!count) return count.error();
  return *count != "0";
}

Result<bool> stream_ready(const ConnectParams& target, const std::string& name) {
  auto to = Connection::open(target);
  if (!to) return to.error();
  auto failed = subscription_errors(*to, name);
  if (!failed) return failed.error();
  if (*failed) return replication_failed();
  auto state = to->query(
      "SELECT count(*) FILTER (WHERE r.srsubstate <> 'r'), count(*)"
      " FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid"
      " WHERE s.subname = $1",
      {name});
  if (!state) return state.error();
  const Row& row = state->at(0);
  return row.at(0).value_or("1") == "0" && row.at(1).value_or("0") != "0";
}

Status finish_stream(const std::filesystem::path& bin_dir, const std::filesystem::path& work_dir,
                     const ConnectParams& source, const ConnectParams& target,
                     const std::string& name, Clock::time_point deadline) {
  auto from = Connection::open(source);
  if (!from) return from.error();
  // The source takes no more writes: once the slot has confirmed this position, the target
  // holds every committed transaction.
  auto end = single(*from, "SELECT pg_current_wal_lsn()::text");
  if (!end) return end.error();
  auto to = Connection::open(target);
  if (!to) return to.error();
  for (;;) {
    auto failed = subscription_errors(*to, name);
    if (!failed) return failed.error();
    if (*failed) return replication_failed();
    auto caught_up = single(*from,
                            "SELECT confirmed_flush_lsn >= $2::pg_lsn FROM pg_replication_slots"
                            " WHERE slot_name = $1",
                            {name, *end});
    if (!caught_up) return caught_up.error();
    if (caught_up->empty()) {
      return make_error(ErrorCode::kInternal, "the replication slot " + name + " is gone");
    }
    if (*caught_up == "t") break;
    if (Clock::now() >= deadline) {
      return make_error(ErrorCode::kInternal,
                        "the new database did not catch up with the old one in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto rest = unstreamed_tables(*from, name);
  if (!rest) return rest.error();
  if (auto s = drop_stream(source, target, name); !s) return s;
  if (!rest->empty()) {
    if (auto s = copy_database(bin_dir, work_dir, source, target, "", CopyWhat::kTableData, *rest);
        !s) {
      return s;
    }
  }
  // Sequences are not replicated: each takes the source's position.
  auto sequences = from->query(
      "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences"
      " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')");
  if (!sequences) return sequences.error();
  for (const auto& row : *sequences) {
    const std::string sequence = row.at(0).value_or("");  // quoted by format('%I')
    auto position = from->query("SELECT last_value::text, is_called::text FROM " + sequence);
    if (!position) return position.error();
    const Row& at = position->at(0);
    if (auto r = to->query("SELECT setval($1::regclass, $2::bigint, $3::boolean)",
                           {sequence, at.at(0), at.at(1)});
        !r) {
      return r.error();
    }
  }
  return {};
}

Status drop_stream(const ConnectParams& source, const ConnectParams& target,
                   const std::string& name) {
  auto to = Connection::open(target);
  if (!to) return to.error();
  auto subscription_id = single(*to, "SELECT oid FROM pg_subscription WHERE subname = $1", {name});
  if (!subscription_id) return subscription_id.error();
  auto sub = to->identifier(name);
  if (!sub) return sub.error();
  if (!subscription_id->empty()) {
    if (auto s = stop_subscription(*to, *subscription_id, *sub); !s) return s;
  }
  if (auto s = drop_stream_source(source, name); !s) return s;
  if (subscription_id->empty()) return {};
  // Without its slot, DROP SUBSCRIPTION does not try to drop it over a connection of its own
  // (which hangs when the source is the same cluster); the slots are gone already.
  for (const std::string& sql :
       {"ALTER SUBSCRIPTION " + *sub + " SET (slot_name = NONE)", "DROP SUBSCRIPTION " + *sub}) {
    if (auto r = to->query(sql); !r) return r.error();
  }
  return {};
}

Status drop_stream_source(const ConnectParams& source, const std::string& name) {
  auto from = Connection::open(source);
  if (!from) return from.error();
  // The stream's slot and its table-copy workers' (pg_<subscription>_sync_<table>_<system>):
  // tenants cannot make slots, so every such slot on this database is the platform's. Their
  // walsenders are ended first; a slot in use cannot be dropped.
  const std::string slots =
      " FROM pg_replication_slots WHERE database = current_database()"
      " AND (slot_name = $1 OR slot_name LIKE 'pg\\_%\\_sync\\_%')";
  if (auto s = end_sessions(*from, "SELECT pg_terminate_backend(active_pid)" + slots,
                            "SELECT count(active_pid)" + slots, {name},
                            "the replication sessions did not end");
      !s) {
    return s;
  }
  if (auto r = from->query("SELECT pg_drop_replication_slot(slot_name)" + slots, {name}); !r) {
    return r.error();
  }
  auto id = from->identifier(name);
  if (!id) return id.error();
  if (auto r = from->query("DROP PUBLICATION IF EXISTS " + *id); !r) return r.error();
  return {};
}

}  // namespace slipway::addons::postgres
