// PGBackups transfers and their logs. Numbers are per app and never reused, deleted transfers
// included, so "b003" always means one backup.
#include "common/ids.h"
#include "common/time.h"
#include "store/store.h"

namespace slipway::store {
namespace {

constexpr std::string_view kTransferSelect =
    "SELECT t.id, t.app_id, a.name, t.num, t.addon_id, t.from_type, t.from_name, t.from_url,"
    " t.to_type, t.to_name, t.to_url, t.options_json, t.job_json, t.schedule, t.created_at,"
    " t.updated_at, t.started_at, t.finished_at, t.canceled_at, t.deleted_at, t.succeeded,"
    " t.processed_bytes, t.source_bytes, t.warnings, t.verification, t.blob_sha256"
    " FROM transfers t JOIN apps a ON a.id = t.app_id ";

Transfer read_transfer(const Statement& q) {
  Transfer t;
  t.id = q.text(0);
  t.app_id = q.text(1);
  t.app_name = q.text(2);
  t.num = q.integer(3);
  t.addon_id = q.text(4);
  t.from_type = q.text(5);
  t.from_name = q.text(6);
  t.from_url = q.text(7);
  t.to_type = q.text(8);
  t.to_name = q.text(9);
  t.to_url = q.text(10);
  t.options_json = q.text(11);
  t.job_json = q.text(12);
  t.schedule = q.optional_text(13);
  t.created_at = q.text(14);
  t.updated_at = q.text(15);
  t.started_at = q.optional_text(16);
  t.finished_at = q.optional_text(17);
  t.canceled_at = q.optional_text(18);
  t.deleted_at = q.optional_text(19);
  if (auto s = q.optional_integer(20)) t.succeeded = *s != 0;
  t.processed_bytes = q.integer(21);
  t.source_bytes = q.integer(22);
  t.warnings = q.integer(23);
  t.verification = q.optional_text(24);
  t.blob_sha256 = q.optional_text(25);
  return t;
}

void load_logs(Database& db, Transfer& t) {
  auto q = db.prepare(
      "SELECT created_at, level, message FROM transfer_logs WHERE transfer_id = ? ORDER BY seq");
  q.bind(1, t.id);
  while (q.step()) t.logs.push_back({q.text(0), q.text(1), q.text(2)});
}

std::optional<Transfer> select_one(Database& db, std::string_view where, std::string_view a,
                                   std::string_view b = {}) {
  auto q = db.prepare(std::string(kTransferSelect) + std::string(where));
  q.bind(1, a);
  if (!b.empty()) q.bind(2, b);
  if (!q.step()) return std::nullopt;
  Transfer t = read_transfer(q);
  load_logs(db, t);
  return t;
}

Error transfer_not_found() {
  return make_error(ErrorCode::kNotFound, "Couldn't find that transfer.");
}

void insert_log(Database& db, const std::string& id, std::string_view level,
                std::string_view message) {
  db.prepare(
        "INSERT INTO transfer_logs(transfer_id, seq, created_at, level, message) VALUES (?1,"
        " (SELECT COALESCE(MAX(seq), 0) + 1 FROM transfer_logs WHERE transfer_id = ?1), ?2, ?3,"
        " ?4)")
      .bind(1, id)
      .bind(2, now_iso8601())
      .bind(3, level)
      .bind(4, message)
      .run();
}

// The blob, if no transfer that is not deleted still refers to it.
std::optional<std::string> orphaned_blob(Database& db, const std::optional<std::string>& sha) {
  if (!sha) return std::nullopt;
  auto q =
      db.prepare("SELECT COUNT(*) FROM transfers WHERE blob_sha256 = ? AND deleted_at IS NULL");
  q.bind(1, *sha);
  q.step();
  if (q.integer(0) > 0) return std::nullopt;
  return sha;
}

}  // namespace

Result<Transfer> Store::create_transfer(const NewTransfer& spec) {
  return guarded<Transfer>([&](Database& db) -> Result<Transfer> {
    Transaction tx(db);
    const std::string id = new_uuid();
    const std::string now = now_iso8601();
    std::string to_url = spec.to_url;
    if (const auto at = to_url.find("{uuid}"); at != std::string::npos) {
      to_url.replace(at, 6, id);
    }
    db.prepare(
          "INSERT INTO transfers(id, app_id, num, addon_id, from_type, from_name, from_url,"
          " to_type, to_name, to_url, options_json, job_json, schedule, created_at, updated_at,"
          " into_addon_id)"
          " VALUES (?1, ?2, (SELECT COALESCE(MAX(num), 0) + 1 FROM transfers WHERE app_id = ?2),"
          " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)")
        .bind(1, id)
        .bind(2, spec.app_id)
        .bind(3, spec.addon_id)
        .bind(4, spec.from_type)
        .bind(5, spec.from_name)
        .bind(6, spec.from_url)
        .bind(7, spec.to_type)
        .bind(8, spec.to_name)
        .bind(9, to_url)
        .bind(10, spec.options_json)
        .bind(11, spec.job_json)
        .bind(12, spec.schedule)
        .bind(13, now)
        .bind(14, spec.into_addon_id)
        .run();
    auto t = select_one(db, "WHERE t.id = ?", id);
    if (!t) return transfer_not_found();
    tx.commit();
    return *t;
  });
}

Result<std::vector<Transfer>> Store::list_transfers(const std::string& app_id) {
  using List = std::vector<Transfer>;
  return guarded<List>([&](Database& db) -> Result<List> {
    auto q = db.prepare(std::string(kTransferSelect) +
                        "WHERE t.app_id = ? AND t.deleted_at IS NULL ORDER BY t.num");
    q.bind(1, app_id);
    List out;
    while (q.step()) out.push_back(read_transfer(q));
    for (auto& t : out) load_logs(db, t);
    return out;
  });
}

Result<Transfer> Store::find_transfer(const std::string& app_id, std::string_view ref) {
  return guarded<Transfer>([&](Database& db) -> Result<Transfer> {
    auto t = select_one(db,
                        "WHERE t.app_id = ?1 AND t.deleted_at IS NULL AND"
                        " (t.id = ?2 OR CAST(t.num AS TEXT) = ?2)",
                        app_id, ref);
    if (!t) return transfer_not_found();
    return *t;
  });
}

Result<Transfer> Store::find_transfer_by_id(const std::string& id) {
  return guarded<Transfer>([&](Database& db) -> Result<Transfer> {
    auto t = select_one(db, "WHERE t.id = ?", id);
    if (!t) return transfer_not_found();
    return *t;
  });
}

Status Store::start_transfer(const std::string& id) {
  return guarded<void>([&](Database& db) -> Status {
    const std::string now = now_iso8601();
    db.prepare("UPDATE transfers SET started_at = ?2, updated_at = ?2 WHERE id = ?1")
        .bind(1, id)
        .bind(2, now)
        .run();
    return {};
  });
}

Status Store::set_transfer_progress(const std::string& id, std::int64_t processed_bytes,
                                    std::int64_t source_bytes) {
  return guarded<void>([&](Database& db) -> Status {
    db.prepare(
          "UPDATE transfers SET processed_bytes = ?2, source_bytes = ?3, updated_at = ?4"
          " WHERE id = ?1")
        .bind(1, id)
        .bind(2, processed_bytes)
        .bind(3, source_bytes)
        .bind(4, now_iso8601())
        .run();
    return {};
  });
}

Status Store::append_transfer_log(const std::string& id, std::string_view level,
                                  std::string_view message) {
  return guarded<void>([&](Database& db) -> Status {
    insert_log(db, id, level, message);
    return {};
  });
}

Result<Transfer> Store::finish_transfer(const std::string& id, bool succeeded,
                                        const std::optional<std::string>& verification,
                                        const std::optional<std::string>& blob_sha256) {
  return guarded<Transfer>([&](Database& db) -> Result<Transfer> {
    Transaction tx(db);
    const std::string now = now_iso8601();
    db.prepare(
          "UPDATE transfers SET finished_at = ?2, updated_at = ?2, succeeded = ?3,"
          " verification = COALESCE(?4, verification), blob_sha256 = COALESCE(?5, blob_sha256),"
          " started_at = COALESCE(started_at, ?2) WHERE id = ?1 AND finished_at IS NULL")
        .bind(1, id)
        .bind(2, now)
        .bind(3, std::int64_t{succeeded ? 1 : 0})
        .bind(4, verification)
        .bind(5, blob_sha256)
        .run();
    auto t = select_one(db, "WHERE t.id = ?", id);
    if (!t) return transfer_not_found();
    tx.commit();
    return *t;
  });
}

Result<Transfer> Store::cancel_transfer(const std::string& id) {
  return guarded<Transfer>([&](Database& db) -> Result<Transfer> {
    Transaction tx(db);
    if (db.prepare("SELECT 1 FROM transfers WHERE id = ? AND finished_at IS NULL"
                   " AND replacing_at IS NOT NULL")
            .bind(1, id)
            .step()) {
      return make_error(ErrorCode::kConflict,
                        "Too late to cancel: the restored database is being put in place.");
    }
    const std::string now = now_iso8601();
    db.prepare(
          "UPDATE transfers SET canceled_at = ?2, finished_at = ?2, updated_at = ?2,"
          " succeeded = 0 WHERE id = ?1 AND finished_at IS NULL")
        .bind(1, id)
        .bind(2, now)
        .run();
    if (db.changes() > 0) insert_log(db, id, "info", "Canceled by request.");
    auto t = select_one(db, "WHERE t.id = ?", id);
    if (!t) return transfer_not_found();
    tx.commit();
    return *t;
  });
}

Status Store::claim_replacement(const std::string& id) {
  return guarded<void>([&](Database& db) -> Status {
    Transaction tx(db);
    auto q = db.prepare(
        "SELECT t.finished_at IS NULL, a.name, c.from_plan, c.to_plan FROM transfers t"
        " LEFT JOIN addons a ON a.id = t.into_addon_id"
        " LEFT JOIN addon_plan_changes c ON c.addon_id = t.into_addon_id"
        "  AND c.state IN ('pending', 'cutover', 'switched')"
        " WHERE t.id = ?");
    q.bind(1, id);
    if (!q.step()) return transfer_not_found();
    if (q.integer(0) == 0) return make_error(ErrorCode::kConflict, "canceled");
    if (const auto from = q.optional_text(2)) {
      return make_error(ErrorCode::kConflict, q.text(1) + " is changing plans (" + *from + " to " +
                                                  q.text(3) +
                                                  "); try again once that has finished");
    }
    db.prepare("UPDATE transfers SET replacing_at = ?2, updated_at = ?2 WHERE id = ?1")
        .bind(1, id)
        .bind(2, now_iso8601())
        .run();
    tx.commit();
    return {};
  });
}

Result<std::optional<std::string>> Store::delete_transfer(const std::string& id) {
  using Out = std::optional<std::string>;
  return guarded<Out>([&](Database& db) -> Result<Out> {
    Transaction tx(db);
    auto t = select_one(db, "WHERE t.id = ? AND t.deleted_at IS NULL", id);
    if (!t) return transfer_not_found();
    db.prepare("UPDATE transfers SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1")
        .bind(1, id)
        .bind(2, now_iso8601())
        .run();
    Out blob = orphaned_blob(db, t->blob_sha256);
    tx.commit();
    return blob;
  });
}

Result<std::vector<std::string>> Store::prune_backups(const std::string& addon_id,
                                                      std::int64_t keep) {
  using Out = std::vector<std::string>;
  return guarded<Out>([&](Database& db) -> Result<Out> {
    Transaction tx(db);
    auto q = db.prepare(
        "SELECT id, blob_sha256 FROM transfers WHERE addon_id = ? AND from_type = 'pg_dump' AND"
        " to_type = 'gof3r' AND schedule IS NULL AND succeeded = 1 AND deleted_at IS NULL"
        " ORDER BY num DESC LIMIT -1 OFFSET ?");
    q.bind(1, addon_id).bind(2, keep);
    std::vector<std::pair<std::string, std::optional<std::string>>> old;
    while (q.step()) old.emplace_back(q.text(0), q.optional_text(1));
    const std::string now = now_iso8601();
    for (const auto& [id, sha] : old) {
      db.prepare("UPDATE transfers SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1")
          .bind(1, id)
          .bind(2, now)
          .run();
    }
    Out blobs;
    for (const auto& [id, sha] : old) {
      if (auto blob = orphaned_blob(db, sha)) blobs.push_back(*blob);
    }
    tx.commit();
    return blobs;
  });
}

Status Store::set_transfer_public_secret(const std::string& id, const std::string& secret_sha256,
                                         const std::string& expires_at) {
  return guarded<void>([&](Database& db) -> Status {
    Transaction tx(db);
    db.prepare("DELETE FROM transfer_downloads WHERE expires_at <= ?").bind(1, now_iso8601()).run();
    db.prepare(
          "INSERT INTO transfer_downloads(secret_sha256, transfer_id, expires_at) VALUES (?, ?, ?)")
        .bind(1, secret_sha256)
        .bind(2, id)
        .bind(3, expires_at)
        .run();
    tx.commit();
    return {};
  });
}

Result<Transfer> Store::find_transfer_for_download(const std::string& id,
                                                   const std::string& secret_sha256) {
  return guarded<Transfer>([&](Database& db) -> Result<Transfer> {
    // Looked up by the secret's hash: nothing to compare in variable time.
    auto q = db.prepare(
        "SELECT expires_at FROM transfer_downloads d JOIN transfers t ON t.id = d.transfer_id"
        " WHERE d.secret_sha256 = ? AND d.transfer_id = ? AND t.deleted_at IS NULL AND"
        " t.succeeded = 1 AND t.blob_sha256 IS NOT NULL");
    q.bind(1, secret_sha256).bind(2, id);
    const auto gone = [] {
      return make_error(ErrorCode::kNotFound, "This backup URL is unknown or has expired.");
    };
    // ISO 8601 UTC strings of one format compare as times.
    if (!q.step() || q.text(0) <= now_iso8601()) return gone();
    auto t = select_one(db, "WHERE t.id = ?", id);
    if (!t) return gone();
    return *t;
  });
}

Result<std::int64_t> Store::fail_interrupted_transfers() {
  return guarded<std::int64_t>([&](Database& db) -> Result<std::int64_t> {
    Transaction tx(db);
    std::vector<std::string> ids;
    {
      auto q =
          db.prepare("SELECT id FROM transfers WHERE finished_at IS NULL AND replacing_at IS NULL");
      while (q.step()) ids.push_back(q.text(0));
    }
    const std::string now = now_iso8601();
    for (const auto& id : ids) {
      db.prepare(
            "UPDATE transfers SET finished_at = ?2, updated_at = ?2, succeeded = 0 WHERE id = ?1")
          .bind(1, id)
          .bind(2, now)
          .run();
      insert_log(db, id, "error",
                 "Slipway's control plane restarted while this transfer ran; it did not finish.");
    }
    tx.commit();
    return static_cast<std::int64_t>(ids.size());
  });
}

Result<std::vector<InterruptedReplacement>> Store::interrupted_replacements() {
  using Out = std::vector<InterruptedReplacement>;
  return guarded<Out>([&](Database& db) -> Result<Out> {
    auto q = db.prepare(
        "SELECT id, COALESCE(into_addon_id, '') FROM transfers"
        " WHERE finished_at IS NULL AND replacing_at IS NOT NULL ORDER BY created_at");
    Out out;
    while (q.step()) out.push_back({q.text(0), q.text(1)});
    return out;
  });
}

}  // namespace slipway::store
