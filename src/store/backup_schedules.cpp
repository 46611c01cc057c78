// Backup schedules: one row per add-on in transfer_schedules.
#include "common/ids.h"
#include "common/time.h"
#include "store/store.h"

namespace slipway::store {
namespace {

constexpr std::string_view kScheduleSelect =
    "SELECT s.id, s.addon_id, s.name, s.hour, s.timezone, s.last_run_at, s.next_run_at,"
    " s.created_at, s.updated_at FROM transfer_schedules s ";

BackupSchedule read_schedule(const Statement& q) {
  BackupSchedule s;
  s.id = q.text(0);
  s.addon_id = q.text(1);
  s.name = q.text(2);
  s.hour = static_cast<int>(q.integer(3));
  s.timezone = q.text(4);
  s.last_run_at = q.optional_text(5);
  s.next_run_at = q.text(6);
  s.created_at = q.text(7);
  s.updated_at = q.text(8);
  return s;
}

std::vector<BackupSchedule> select_schedules(Statement& q) {
  std::vector<BackupSchedule> out;
  while (q.step()) out.push_back(read_schedule(q));
  return out;
}

}  // namespace

Result<BackupSchedule> Store::put_backup_schedule(const std::string& addon_id,
                                                  const NewBackupSchedule& spec) {
  return guarded<BackupSchedule>([&](Database& db) -> Result<BackupSchedule> {
    Transaction tx(db);
    if (!db.prepare("SELECT 1 FROM addons WHERE id = ?").bind(1, addon_id).step()) {
      return make_error(ErrorCode::kNotFound, "Couldn't find that add-on.");
    }
    const std::string now = now_iso8601();
    // Replacing keeps the schedule's id and history; what it runs and when is new.
    db.prepare(
          "INSERT INTO transfer_schedules(id, addon_id, name, hour, timezone, next_run_at,"
          " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)"
          " ON CONFLICT(addon_id) DO UPDATE SET name = excluded.name, hour = excluded.hour,"
          " timezone = excluded.timezone, next_run_at = excluded.next_run_at,"
          " updated_at = excluded.updated_at")
        .bind(1, new_uuid())
        .bind(2, addon_id)
        .bind(3, spec.name)
        .bind(4, std::int64_t{spec.hour})
        .bind(5, spec.timezone)
        .bind(6, spec.next_run_at)
        .bind(7, now)
        .bind(8, now)
        .run();
    auto q = db.prepare(std::string(kScheduleSelect) + "WHERE s.addon_id = ?");
    q.bind(1, addon_id);
    auto rows = select_schedules(q);
    tx.commit();
    return rows.front();
  });
}

Result<std::vector<BackupSchedule>> Store::backup_schedules(const std::string& addon_id) {
  using Rows = std::vector<BackupSchedule>;
  return guarded<Rows>([&](Database& db) -> Result<Rows> {
    auto q = db.prepare(std::string(kScheduleSelect) + "WHERE s.addon_id = ? ORDER BY s.name");
    q.bind(1, addon_id);
    return select_schedules(q);
  });
}

Status Store::delete_backup_schedule(const std::string& addon_id, const std::string& schedule_id) {
  auto done = guarded<std::monostate>([&](Database& db) -> Result<std::monostate> {
    db.prepare("DELETE FROM transfer_schedules WHERE addon_id = ? AND id = ?")
        .bind(1, addon_id)
        .bind(2, schedule_id)
        .run();
    if (db.changes() == 0) {
      return make_error(ErrorCode::kNotFound, "Couldn't find that backup schedule.");
    }
    return std::monostate{};
  });
  if (!done) return done.error();
  return {};
}

Result<std::vector<BackupSchedule>> Store::due_backup_schedules(const std::string& now_iso) {
  using Rows = std::vector<BackupSchedule>;
  return guarded<Rows>([&](Database& db) -> Result<Rows> {
    // ISO 8601 UTC strings of one width order as the instants they name.
    auto q = db.prepare(std::string(kScheduleSelect) +
                        "JOIN addons d ON d.id = s.addon_id"
                        " WHERE d.state = 'provisioned' AND s.next_run_at <= ?"
                        " ORDER BY s.next_run_at");
    q.bind(1, now_iso);
    return select_schedules(q);
  });
}

Result<bool> Store::record_backup_schedule_run(const std::string& schedule_id,
                                               const std::string& expected_next_run_at,
                                               const std::string& ran_at,
                                               const std::string& next_run_at) {
  return guarded<bool>([&](Database& db) -> Result<bool> {
    db.prepare(
          "UPDATE transfer_schedules SET last_run_at = ?, next_run_at = ?"
          " WHERE id = ? AND next_run_at = ?")
        .bind(1, ran_at)
        .bind(2, next_run_at)
        .bind(3, schedule_id)
        .bind(4, expected_next_run_at)
        .run();
    return db.changes() > 0;
  });
}

}  // namespace slipway::store
