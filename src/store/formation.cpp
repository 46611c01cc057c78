// Formation: the desired number and size of dynos per process type.
#include "common/ids.h"
#include "common/time.h"
#include "store/store.h"

namespace slipway::store {
namespace {

std::vector<FormationEntry> select_formation(Database& db, const std::string& app_id) {
  auto q = db.prepare(
      "SELECT id, app_id, type, quantity, size, created_at, updated_at FROM formation"
      " WHERE app_id = ? ORDER BY type");
  q.bind(1, app_id);
  std::vector<FormationEntry> out;
  while (q.step()) {
    out.push_back(FormationEntry{q.text(0), q.text(1), q.text(2), q.integer(3), q.text(4),
                                 q.text(5), q.text(6)});
  }
  return out;
}

}  // namespace

Result<std::vector<FormationEntry>> Store::formation(const std::string& app_id) {
  return guarded<std::vector<FormationEntry>>(
      [&](Database& db) -> Result<std::vector<FormationEntry>> {
        return select_formation(db, app_id);
      });
}

Result<std::vector<FormationEntry>> Store::update_formation(
    const std::string& app_id, const std::vector<FormationUpdate>& updates,
    std::int64_t max_quantity) {
  return guarded<std::vector<FormationEntry>>(
      [&](Database& db) -> Result<std::vector<FormationEntry>> {
        Transaction tx(db);
        const std::string now = now_iso8601();
        for (const auto& u : updates) {
          std::int64_t quantity = 0;
          std::string size = "Basic";
          {
            auto q =
                db.prepare("SELECT quantity, size FROM formation WHERE app_id = ? AND type = ?");
            q.bind(1, app_id).bind(2, u.type);
            if (q.step()) {
              quantity = q.integer(0);
              size = q.text(1);
            }
          }
          if (u.quantity) quantity = *u.quantity;
          if (u.delta) quantity += *u.delta;
          quantity = std::max<std::int64_t>(quantity, 0);
          if (quantity > max_quantity) {
            return make_error(ErrorCode::kInvalidParams,
                              "Cannot scale " + u.type + " to " + std::to_string(quantity) +
                                  " dynos; the limit is " + std::to_string(max_quantity) + ".");
          }
          if (u.size) size = *u.size;
          db.prepare(
                "INSERT INTO formation(id, app_id, type, quantity, size, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT(app_id, type) DO UPDATE SET"
                " quantity = excluded.quantity, size = excluded.size,"
                " updated_at = excluded.updated_at")
              .bind(1, new_uuid())
              .bind(2, app_id)
              .bind(3, u.type)
              .bind(4, quantity)
              .bind(5, size)
              .bind(6, now)
              .bind(7, now)
              .run();
        }
        auto result = select_formation(db, app_id);
        tx.commit();
        return result;
      });
}

}  // namespace slipway::store
