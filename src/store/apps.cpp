// Apps: create (with the initial release), find, list, update, delete.
#include "common/ids.h"
#include "common/time.h"
#include "store/store.h"

namespace slipway::store {
namespace {

constexpr std::string_view kAppSelect =
    "SELECT a.id, a.name, a.owner_id, o.email, a.region, a.stack, a.build_stack, a.maintenance,"
    " a.created_at, a.updated_at, a.released_at, a.unix_uid"
    " FROM apps a JOIN accounts o ON o.id = a.owner_id ";

App read_app(const Statement& q) {
  App app;
  app.id = q.text(0);
  app.name = q.text(1);
  app.owner_id = q.text(2);
  app.owner_email = q.text(3);
  app.region = q.text(4);
  app.stack = q.text(5);
  app.build_stack = q.text(6);
  app.maintenance = q.integer(7) != 0;
  app.created_at = q.text(8);
  app.updated_at = q.text(9);
  app.released_at = q.optional_text(10);
  app.unix_uid = q.optional_integer(11);
  return app;
}

std::optional<App> select_app(Database& db, std::string_view name_or_id) {
  auto q = db.prepare(std::string(kAppSelect) + "WHERE a.name = ?1 OR a.id = ?1");
  q.bind(1, name_or_id);
  if (!q.step()) return std::nullopt;
  return read_app(q);
}

Error app_not_found() { return make_error(ErrorCode::kNotFound, "Couldn't find that app."); }

// The next never-used app uid (migration 4), or nullopt when the range is exhausted.
std::optional<std::int64_t> take_unix_uid(Database& db) {
  auto q = db.prepare("SELECT next_uid FROM unix_uid_counter WHERE id = 1");
  if (!q.step()) return std::nullopt;
  const std::int64_t uid = q.integer(0);
  if (uid < kFirstAppUid || uid > kLastAppUid) return std::nullopt;
  db.prepare("UPDATE unix_uid_counter SET next_uid = ? WHERE id = 1").bind(1, uid + 1).run();
  return uid;
}

}  // namespace

Result<App> Store::create_app(const NewApp& spec, const Account& owner) {
  return guarded<App>([&](Database& db) -> Result<App> {
    Transaction tx(db);
    const std::string now = now_iso8601();
    const std::string id = new_uuid();
    const auto uid = take_unix_uid(db);
    if (!uid) return make_error(ErrorCode::kInternal, "No Unix user is left for a new app.");
    try {
      db.prepare(
            "INSERT INTO apps(id, name, owner_id, region, stack, build_stack, created_at,"
            " updated_at, released_at, unix_uid) VALUES (?,?,?,?,?,?,?,?,?,?)")
          .bind(1, id)
          .bind(2, spec.name)
          .bind(3, owner.id)
          .bind(4, spec.region)
          .bind(5, spec.stack)
          .bind(6, spec.stack)
          .bind(7, now)
          .bind(8, now)
          .bind(9, now)
          .bind(10, *uid)
          .run();
    } catch (const SqlError& e) {
      if (e.is_constraint()) {
        return make_error(ErrorCode::kConflict, "Name " + spec.name + " is already taken");
      }
      throw;
    }
    insert_release(id, owner, "Initial release", {}, std::nullopt, "");
    auto app = select_app(db, id);
    tx.commit();
    return *app;
  });
}

Result<App> Store::find_app(std::string_view name_or_id) {
  return guarded<App>([&](Database& db) -> Result<App> {
    auto app = select_app(db, name_or_id);
    if (!app) return app_not_found();
    return *app;
  });
}

Result<std::vector<App>> Store::list_apps(const std::optional<std::string>& owner_id) {
  return guarded<std::vector<App>>([&](Database& db) -> Result<std::vector<App>> {
    auto q = db.prepare(std::string(kAppSelect) +
                        (owner_id ? "WHERE a.owner_id = ? ORDER BY a.name" : "ORDER BY a.name"));
    if (owner_id) q.bind(1, *owner_id);
    std::vector<App> apps;
    while (q.step()) apps.push_back(read_app(q));
    return apps;
  });
}

Result<App> Store::update_app(const std::string& app_id, const AppUpdate& update) {
  return guarded<App>([&](Database& db) -> Result<App> {
    Transaction tx(db);
    const std::string now = now_iso8601();
    if (update.name) {
      try {
        db.prepare("UPDATE apps SET name = ?, updated_at = ? WHERE id = ?")
            .bind(1, *update.name)
            .bind(2, now)
            .bind(3, app_id)
            .run();
      } catch (const SqlError& e) {
        if (e.is_constraint()) {
          return make_error(ErrorCode::kConflict, "Name " + *update.name + " is already taken");
        }
        throw;
      }
    }
    if (update.maintenance) {
      db.prepare("UPDATE apps SET maintenance = ?, updated_at = ? WHERE id = ?")
          .bind(1, std::int64_t{*update.maintenance ? 1 : 0})
          .bind(2, now)
          .bind(3, app_id)
          .run();
    }
    auto app = select_app(db, app_id);
    if (!app) return app_not_found();
    tx.commit();
    return *app;
  });
}

Result<std::vector<Release>> Store::delete_app(const std::string& app_id) {
  using Changed = std::vector<Release>;
  return guarded<Changed>([&](Database& db) -> Result<Changed> {
    Transaction tx(db);
    Changed changed = detach_owned_addons(db, app_id);
    db.prepare("DELETE FROM apps WHERE id = ?").bind(1, app_id).run();
    if (db.changes() == 0) return app_not_found();
    tx.commit();
    return changed;
  });
}

}  // namespace slipway::store
