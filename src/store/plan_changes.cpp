// Add-on plan changes: the record the add-on worker follows, and the atomic steps of the
// cut-over (maintenance on, the switch of plan, resource and config vars with its releases,
// maintenance restored).
#include "common/ids.h"
#include "common/time.h"
#include "store/store.h"

namespace slipway::store {
namespace {

constexpr std::string_view kChangeSelect =
    "SELECT c.id, c.addon_id, COALESCE(d.name, ''), COALESCE(d.app_id, ''), c.service,"
    " c.from_plan, c.to_plan,"
    " c.resource_key, c.state, c.source_json, c.target_json, c.target_url,"
    " c.maintenance_before, c.message, c.keep_source_until, c.cleaned, c.created_by,"
    " c.created_at, c.updated_at"
    " FROM addon_plan_changes c LEFT JOIN addons d ON d.id = c.addon_id ";

PlanChange read_change(const Statement& q) {
  PlanChange c;
  c.id = q.text(0);
  c.addon_id = q.text(1);
  c.addon_name = q.text(2);
  c.app_id = q.text(3);
  c.service = q.text(4);
  c.from_plan = q.text(5);
  c.to_plan = q.text(6);
  c.resource_key = q.text(7);
  c.state = q.text(8);
  c.source_json = q.text(9);
  c.target_json = q.optional_text(10);
  c.target_url = q.optional_text(11);
  c.maintenance_before = q.integer(12) != 0;
  c.message = q.optional_text(13);
  c.keep_source_until = q.optional_text(14);
  c.source_released = q.integer(15) != 0;
  c.created_by = q.text(16);
  c.created_at = q.text(17);
  c.updated_at = q.text(18);
  return c;
}

std::optional<PlanChange> select_change(Database& db, const std::string& id) {
  auto q = db.prepare(std::string(kChangeSelect) + "WHERE c.id = ?");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_change(q);
}

Error change_not_found() {
  return make_error(ErrorCode::kNotFound, "Couldn't find that plan change.");
}

void set_state(Database& db, const std::string& id, std::string_view state) {
  db.prepare("UPDATE addon_plan_changes SET state = ?, updated_at = ? WHERE id = ?")
      .bind(1, state)
      .bind(2, now_iso8601())
      .bind(3, id)
      .run();
}

void set_maintenance(Database& db, const std::string& app_id, bool on) {
  db.prepare("UPDATE apps SET maintenance = ?, updated_at = ? WHERE id = ?")
      .bind(1, std::int64_t{on ? 1 : 0})
      .bind(2, now_iso8601())
      .bind(3, app_id)
      .run();
}

void set_addon_message(Database& db, const std::string& addon_id,
                       const std::optional<std::string>& message) {
  db.prepare("UPDATE addons SET provision_message = ?, updated_at = ? WHERE id = ?")
      .bind(1, message)
      .bind(2, now_iso8601())
      .bind(3, addon_id)
      .run();
}

}  // namespace

Result<PlanChange> Store::begin_plan_change(const Account& user, const std::string& addon_id,
                                            const std::string& to_plan,
                                            const std::string& resource_key) {
  return guarded<PlanChange>([&](Database& db) -> Result<PlanChange> {
    Transaction tx(db);
    auto q =
        db.prepare("SELECT name, plan, state, resource_json, service FROM addons WHERE id = ?");
    q.bind(1, addon_id);
    if (!q.step()) return make_error(ErrorCode::kNotFound, "Couldn't find that add-on.");
    const std::string name = q.text(0);
    const std::string plan = q.text(1);
    const std::optional<std::string> resource = q.optional_text(3);
    const std::string service = q.text(4);
    if (q.text(2) != "provisioned" || !resource) {
      return make_error(
          ErrorCode::kInvalidParams,
          name + " is " + q.text(2) + "; its plan can change once it is provisioned.");
    }
    if (plan == to_plan) {
      return make_error(ErrorCode::kInvalidParams, name + " is already on " + to_plan + ".");
    }
    if (db.prepare("SELECT 1 FROM addon_plan_changes WHERE addon_id = ?"
                   " AND state IN ('pending', 'cutover', 'switched')")
            .bind(1, addon_id)
            .step()) {
      return make_error(ErrorCode::kInvalidParams,
                        name + " is already changing plan; wait for that change to finish.");
    }
    if (db.prepare("SELECT 1 FROM transfers WHERE into_addon_id = ? AND finished_at IS NULL")
            .bind(1, addon_id)
            .step()) {
      return make_error(ErrorCode::kConflict,
                        name +
                            " is being restored into (a restore or copy is under way); its plan"
                            " can change once that has finished.");
    }
    const std::string now = now_iso8601();
    // A kept old resource is kept "until the next change": this one.
    db.prepare(
          "UPDATE addon_plan_changes SET keep_source_until = ? WHERE addon_id = ?"
          " AND state = 'done' AND cleaned = 0")
        .bind(1, now)
        .bind(2, addon_id)
        .run();
    const std::string id = new_uuid();
    db.prepare(
          "INSERT INTO addon_plan_changes(id, addon_id, service, from_plan, to_plan, resource_key,"
          " state, source_json, created_by, created_at, updated_at)"
          " VALUES (?,?,?,?,?,?,'pending',?,?,?,?)")
        .bind(1, id)
        .bind(2, addon_id)
        .bind(3, service)
        .bind(4, plan)
        .bind(5, to_plan)
        .bind(6, resource_key)
        .bind(7, *resource)
        .bind(8, user.id)
        .bind(9, now)
        .bind(10, now)
        .run();
    set_addon_message(db, addon_id,
                      "Changing from " + plan + " to " + to_plan +
                          " in the background; the app stays on " + plan +
                          " until the cut-over (a short maintenance window).");
    auto change = select_change(db, id);
    tx.commit();
    return *change;
  });
}

Result<std::vector<PlanChange>> Store::plan_changes_in_progress() {
  return guarded<std::vector<PlanChange>>([&](Database& db) -> Result<std::vector<PlanChange>> {
    auto q =
        db.prepare(std::string(kChangeSelect) +
                   "WHERE c.state IN ('pending', 'cutover', 'switched') ORDER BY c.created_at");
    std::vector<PlanChange> out;
    while (q.step()) out.push_back(read_change(q));
    return out;
  });
}

Result<PlanChange> Store::record_plan_change_target(const std::string& change_id,
                                                    const std::string& target_json,
                                                    const std::string& target_url) {
  return guarded<PlanChange>([&](Database& db) -> Result<PlanChange> {
    db.prepare(
          "UPDATE addon_plan_changes SET target_json = ?, target_url = ?, updated_at = ?"
          " WHERE id = ?")
        .bind(1, target_json)
        .bind(2, target_url)
        .bind(3, now_iso8601())
        .bind(4, change_id)
        .run();
    auto change = select_change(db, change_id);
    if (!change) return change_not_found();
    return *change;
  });
}

Result<PlanChange> Store::enter_cutover(const std::string& change_id) {
  return guarded<PlanChange>([&](Database& db) -> Result<PlanChange> {
    Transaction tx(db);
    auto change = select_change(db, change_id);
    if (!change) return change_not_found();
    if (change->state != "pending") {
      return make_error(ErrorCode::kConflict, "The plan change is " + change->state + ".");
    }
    auto q = db.prepare("SELECT maintenance FROM apps WHERE id = ?");
    q.bind(1, change->app_id);
    const bool before = q.step() && q.integer(0) != 0;
    db.prepare("UPDATE addon_plan_changes SET maintenance_before = ? WHERE id = ?")
        .bind(1, std::int64_t{before ? 1 : 0})
        .bind(2, change_id)
        .run();
    set_state(db, change_id, "cutover");
    set_maintenance(db, change->app_id, true);
    change = select_change(db, change_id);
    tx.commit();
    return *change;
  });
}

Result<AddonChange> Store::switch_plan_change(const std::string& change_id,
                                              const std::string& keep_source_until) {
  return guarded<AddonChange>([&](Database& db) -> Result<AddonChange> {
    Transaction tx(db);
    auto change = select_change(db, change_id);
    if (!change) return change_not_found();
    if (change->state != "cutover" || !change->target_json || !change->target_url) {
      return make_error(ErrorCode::kConflict, "The plan change is " + change->state + ".");
    }
    const std::string now = now_iso8601();
    db.prepare(
          "UPDATE addons SET plan = ?, resource_json = ?, url = ?, provision_message = NULL,"
          " updated_at = ? WHERE id = ?")
        .bind(1, change->to_plan)
        .bind(2, *change->target_json)
        .bind(3, *change->target_url)
        .bind(4, now)
        .bind(5, change->addon_id)
        .run();
    db.prepare(
          "UPDATE addon_plan_changes SET state = 'switched', keep_source_until = ?,"
          " updated_at = ? WHERE id = ?")
        .bind(1, keep_source_until)
        .bind(2, now)
        .bind(3, change_id)
        .run();
    Account user;
    {
      auto q = db.prepare("SELECT id, email, name, created_at FROM accounts WHERE id = ?");
      q.bind(1, change->created_by);
      if (q.step()) {
        user.id = q.text(0);
        user.email = q.text(1);
        user.name = q.text(2);
        user.created_at = user.updated_at = q.text(3);
      }
    }
    AddonChange out;
    auto t = db.prepare(
        "SELECT app_id, name FROM addon_attachments WHERE addon_id = ? AND namespace IS NULL"
        " ORDER BY created_at");
    t.bind(1, change->addon_id);
    std::vector<std::pair<std::string, std::string>> attachments;
    while (t.step()) attachments.emplace_back(t.text(0), t.text(1));
    for (const auto& [app_id, name] : attachments) {
      db.prepare("UPDATE config_vars SET value = ? WHERE app_id = ? AND key = ?")
          .bind(1, *change->target_url)
          .bind(2, app_id)
          .bind(3, name + "_URL")
          .run();
      auto c = db.prepare("SELECT key, value FROM config_vars WHERE app_id = ?");
      c.bind(1, app_id);
      ConfigVars config;
      while (c.step()) config.emplace(c.text(0), c.text(1));
      out.releases.push_back(insert_release(app_id, user,
                                            "Update " + name + " (@ref:" + change->addon_name +
                                                ") to " + change->service + ":" + change->to_plan,
                                            config, std::nullopt, random_hex(24)));
    }
    tx.commit();
    return out;
  });
}

Status Store::finish_plan_change(const std::string& change_id) {
  auto done = guarded<std::monostate>([&](Database& db) -> Result<std::monostate> {
    Transaction tx(db);
    auto change = select_change(db, change_id);
    if (!change) return change_not_found();
    if (change->state == "switched") {
      set_maintenance(db, change->app_id, change->maintenance_before);
      set_state(db, change_id, "done");
    }
    tx.commit();
    return std::monostate{};
  });
  if (!done) return done.error();
  return {};
}

Status Store::fail_plan_change(const std::string& change_id, const std::string& message) {
  auto failed = guarded<std::monostate>([&](Database& db) -> Result<std::monostate> {
    Transaction tx(db);
    auto change = select_change(db, change_id);
    if (!change) return change_not_found();
    if (change->state != "pending" && change->state != "cutover") {
      return make_error(ErrorCode::kConflict, "The plan change is " + change->state + ".");
    }
    if (change->state == "cutover") {
      set_maintenance(db, change->app_id, change->maintenance_before);
    }
    db.prepare(
          "UPDATE addon_plan_changes SET state = 'failed', message = ?, updated_at = ?"
          " WHERE id = ?")
        .bind(1, message)
        .bind(2, now_iso8601())
        .bind(3, change_id)
        .run();
    set_addon_message(db, change->addon_id,
                      "The change to " + change->to_plan + " failed and nothing changed (still " +
                          change->from_plan + "): " + message);
    tx.commit();
    return std::monostate{};
  });
  if (!failed) return failed.error();
  return {};
}

Result<std::vector<PlanChange>> Store::plan_changes_to_clean(const std::string& now) {
  return guarded<std::vector<PlanChange>>([&](Database& db) -> Result<std::vector<PlanChange>> {
    auto q = db.prepare(std::string(kChangeSelect) +
                        "WHERE c.cleaned = 0 AND ((c.state = 'done' AND c.keep_source_until <= ?)"
                        " OR c.state = 'failed')"
                        " ORDER BY c.created_at");
    q.bind(1, now);
    std::vector<PlanChange> out;
    while (q.step()) out.push_back(read_change(q));
    return out;
  });
}

Status Store::mark_plan_change_cleaned(const std::string& change_id) {
  auto done = guarded<std::monostate>([&](Database& db) -> Result<std::monostate> {
    db.prepare("UPDATE addon_plan_changes SET cleaned = 1, updated_at = ? WHERE id = ?")
        .bind(1, now_iso8601())
        .bind(2, change_id)
        .run();
    return std::monostate{};
  });
  if (!done) return done.error();
  return {};
}

}  // namespace slipway::store
