// Add-ons and attachments. Every change that sets or removes an attachment's config var records
// a release of the app in the same transaction, with Heroku's descriptions ("Attach DATABASE
// (@ref:postgresql-shaped-12345)", "Detach ...").
#include "common/ids.h"
#include "common/time.h"
#include "store/account_rows.h"
#include "store/config_rows.h"
#include "store/store.h"

namespace slipway::store {
namespace {

constexpr std::string_view kAddonSelect =
    "SELECT d.id, d.name, d.app_id, COALESCE(a.name, ''), d.service, d.plan, d.state,"
    " d.created_by, d.resource_json, d.url, d.provision_message, d.created_at, d.updated_at"
    " FROM addons d LEFT JOIN apps a ON a.id = d.app_id ";

constexpr std::string_view kAttachmentSelect =
    "SELECT t.id, t.name, t.namespace, t.app_id, p.name, t.created_at, t.updated_at, t.addon_id"
    " FROM addon_attachments t JOIN apps p ON p.id = t.app_id ";

Addon read_addon(const Statement& q) {
  Addon d;
  d.id = q.text(0);
  d.name = q.text(1);
  d.app_id = q.text(2);
  d.app_name = q.text(3);
  d.service = q.text(4);
  d.plan = q.text(5);
  d.state = q.text(6);
  d.created_by = q.text(7);
  d.resource_json = q.optional_text(8);
  d.url = q.optional_text(9);
  d.provision_message = q.optional_text(10);
  d.created_at = q.text(11);
  d.updated_at = q.text(12);
  return d;
}

Error addon_not_found() { return make_error(ErrorCode::kNotFound, "Couldn't find that add-on."); }
Error attachment_not_found() {
  return make_error(ErrorCode::kNotFound, "Couldn't find that add-on attachment.");
}

// The config vars the add-on's attachments set on its billing app.
std::vector<std::string> owner_config_vars(Database& db, const Addon& addon) {
  auto q = db.prepare(
      "SELECT name FROM addon_attachments WHERE addon_id = ? AND app_id = ? ORDER BY created_at");
  q.bind(1, addon.id).bind(2, addon.app_id);
  std::vector<std::string> vars;
  while (q.step()) vars.push_back(q.text(0) + "_URL");
  return vars;
}

std::optional<Addon> select_addon(Database& db, std::string_view name_or_id) {
  auto q = db.prepare(std::string(kAddonSelect) + "WHERE d.id = ?1 OR d.name = ?1");
  q.bind(1, name_or_id);
  if (!q.step()) return std::nullopt;
  Addon addon = read_addon(q);
  addon.config_vars = owner_config_vars(db, addon);
  return addon;
}

std::vector<AddonAttachment> select_attachments(Database& db, std::string_view where,
                                                std::string_view value) {
  auto q = db.prepare(std::string(kAttachmentSelect) + std::string(where) +
                      " ORDER BY t.created_at, t.name");
  q.bind(1, value);
  std::vector<AddonAttachment> out;
  std::vector<std::string> addon_ids;
  while (q.step()) {
    AddonAttachment t;
    t.id = q.text(0);
    t.name = q.text(1);
    t.namespace_name = q.optional_text(2);
    t.app_id = q.text(3);
    t.app_name = q.text(4);
    t.created_at = q.text(5);
    t.updated_at = q.text(6);
    addon_ids.push_back(q.text(7));
    out.push_back(std::move(t));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (auto addon = select_addon(db, addon_ids[i])) out[i].addon = std::move(*addon);
  }
  return out;
}

bool attachment_name_taken(Database& db, const std::string& app_id, const std::string& name,
                           const std::optional<std::string>& namespace_name) {
  auto q = db.prepare(
      "SELECT 1 FROM addon_attachments WHERE app_id = ? AND name = ?"
      " AND COALESCE(namespace, '') = ?");
  q.bind(1, app_id).bind(2, name).bind(3, namespace_name.value_or(""));
  return q.step();
}

std::optional<std::string> first_free_attachment_name(
    Database& db, const std::string& app_id, const std::vector<std::string>& candidates,
    const std::optional<std::string>& namespace_name) {
  for (const auto& name : candidates) {
    if (!attachment_name_taken(db, app_id, name, namespace_name)) return name;
  }
  return std::nullopt;
}

std::string insert_attachment(Database& db, const std::string& addon_id, const std::string& app_id,
                              const std::string& name,
                              const std::optional<std::string>& namespace_name) {
  std::string id = new_uuid();
  const std::string now = now_iso8601();
  db.prepare(
        "INSERT INTO addon_attachments(id, addon_id, app_id, name, namespace, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?)")
      .bind(1, id)
      .bind(2, addon_id)
      .bind(3, app_id)
      .bind(4, name)
      .bind(5, namespace_name)
      .bind(6, now)
      .bind(7, now)
      .run();
  return id;
}

std::string ref(const std::string& verb, const std::string& attachment, const Addon& addon) {
  return verb + " " + attachment + " (@ref:" + addon.name + ")";
}

void touch_addon(Database& db, const std::string& addon_id) {
  db.prepare("UPDATE addons SET updated_at = ? WHERE id = ?")
      .bind(1, now_iso8601())
      .bind(2, addon_id)
      .run();
}

}  // namespace

Result<AddonAttachment> Store::create_addon(const App& app, const Account& user,
                                            const NewAddon& spec) {
  return guarded<AddonAttachment>([&](Database& db) -> Result<AddonAttachment> {
    Transaction tx(db);
    std::optional<std::string> name;
    for (const auto& candidate : spec.name_candidates) {
      if (!db.prepare("SELECT 1 FROM addons WHERE name = ?").bind(1, candidate).step()) {
        name = candidate;
        break;
      }
    }
    if (!name) {
      return make_error(ErrorCode::kConflict,
                        spec.name_candidates.size() == 1
                            ? "The name " + spec.name_candidates.front() + " is already taken."
                            : std::string("No free add-on name was found; try again."));
    }
    const auto attachment =
        first_free_attachment_name(db, app.id, spec.attachment_candidates, std::nullopt);
    if (!attachment) {
      return make_error(ErrorCode::kConflict,
                        spec.attachment_candidates.size() == 1
                            ? spec.attachment_candidates.front() + " is already attached to " +
                                  app.name + "; choose another name with --as."
                            : app.name + " has no free attachment name left.");
    }
    const std::string id = new_uuid();
    const std::string now = now_iso8601();
    db.prepare(
          "INSERT INTO addons(id, name, app_id, service, plan, state, created_by, created_at,"
          " updated_at) VALUES (?,?,?,?,?,'provisioning',?,?,?)")
        .bind(1, id)
        .bind(2, *name)
        .bind(3, app.id)
        .bind(4, spec.service)
        .bind(5, spec.plan)
        .bind(6, user.id)
        .bind(7, now)
        .bind(8, now)
        .run();
    const std::string attachment_id = insert_attachment(db, id, app.id, *attachment, std::nullopt);
    auto created = select_attachments(db, "WHERE t.id = ?", attachment_id);
    tx.commit();
    return created.front();
  });
}

Result<Addon> Store::find_addon(std::string_view name_or_id) {
  return guarded<Addon>([&](Database& db) -> Result<Addon> {
    auto addon = select_addon(db, name_or_id);
    if (!addon) return addon_not_found();
    return *addon;
  });
}

Result<std::vector<Addon>> Store::list_addons(const std::optional<std::string>& app_id) {
  return guarded<std::vector<Addon>>([&](Database& db) -> Result<std::vector<Addon>> {
    auto q = db.prepare(std::string(kAddonSelect) +
                        (app_id ? "WHERE d.app_id = ?1 " : "WHERE a.id IS NOT NULL ") +
                        "ORDER BY d.created_at, d.name");
    if (app_id) q.bind(1, *app_id);
    std::vector<Addon> out;
    while (q.step()) out.push_back(read_addon(q));
    for (auto& addon : out) addon.config_vars = owner_config_vars(db, addon);
    return out;
  });
}

Result<std::vector<Addon>> Store::addons_in_state(std::string_view state) {
  return guarded<std::vector<Addon>>([&](Database& db) -> Result<std::vector<Addon>> {
    auto q = db.prepare(std::string(kAddonSelect) + "WHERE d.state = ? ORDER BY d.created_at");
    q.bind(1, state);
    std::vector<Addon> out;
    while (q.step()) out.push_back(read_addon(q));
    return out;
  });
}

Result<std::vector<AddonAttachment>> Store::list_attachments(
    const std::optional<std::string>& app_id, const std::optional<std::string>& addon_id) {
  return guarded<std::vector<AddonAttachment>>(
      [&](Database& db) -> Result<std::vector<AddonAttachment>> {
        if (app_id) return select_attachments(db, "WHERE t.app_id = ?", *app_id);
        return select_attachments(db, "WHERE t.addon_id = ?", addon_id.value_or(""));
      });
}

Result<AddonAttachment> Store::find_attachment(std::string_view id) {
  return guarded<AddonAttachment>([&](Database& db) -> Result<AddonAttachment> {
    auto found = select_attachments(db, "WHERE t.id = ?", id);
    if (found.empty()) return attachment_not_found();
    return found.front();
  });
}

Result<AddonAttachment> Store::find_attachment_by_name(const std::string& app_id,
                                                       std::string_view name) {
  return guarded<AddonAttachment>([&](Database& db) -> Result<AddonAttachment> {
    for (auto& t : select_attachments(db, "WHERE t.app_id = ?", app_id)) {
      if (t.name == name && !t.namespace_name) return t;
    }
    return attachment_not_found();
  });
}

Result<std::pair<AddonAttachment, AddonChange>> Store::attach_addon(const Account& user,
                                                                    const NewAttachment& spec) {
  using Outcome = std::pair<AddonAttachment, AddonChange>;
  return guarded<Outcome>([&](Database& db) -> Result<Outcome> {
    Transaction tx(db);
    auto addon = select_addon(db, spec.addon_id);
    if (!addon) return addon_not_found();
    if (addon->state == "deprovisioning" || addon->state == "deprovisioned") {
      return make_error(ErrorCode::kInvalidParams,
                        addon->name + " is " + addon->state + " and cannot be attached.");
    }
    auto name =
        first_free_attachment_name(db, spec.app_id, spec.name_candidates, spec.namespace_name);
    std::optional<AddonAttachment> replaced;
    if (!name && spec.replace && spec.name_candidates.size() == 1) {
      for (auto& t : select_attachments(db, "WHERE t.app_id = ?", spec.app_id)) {
        if (t.name == spec.name_candidates.front() && t.namespace_name == spec.namespace_name) {
          replaced = t;
        }
      }
      if (replaced) {
        db.prepare("DELETE FROM addon_attachments WHERE id = ?").bind(1, replaced->id).run();
        name = spec.name_candidates.front();
      }
    }
    if (!name) {
      return make_error(ErrorCode::kConflict,
                        spec.name_candidates.size() == 1
                            ? spec.name_candidates.front() + " is already attached to this app."
                            : std::string("No free attachment name is left on this app."));
    }
    const std::string id =
        insert_attachment(db, addon->id, spec.app_id, *name, spec.namespace_name);
    AddonChange change;
    // A credential namespace's attachment shares the add-on's URL but not its config var.
    if (addon->url && !spec.namespace_name) {
      write_config_var(db, spec.app_id, *name + "_URL", addon->url);
      std::string description = ref("Attach", *name, *addon);
      if (replaced && replaced->addon.id != addon->id) {
        description += ", " + ref("Detach", replaced->name, replaced->addon);
      }
      change.releases.push_back(insert_release(spec.app_id, user, description,
                                               select_config(db, spec.app_id), std::nullopt,
                                               random_hex(24)));
    }
    touch_addon(db, addon->id);
    auto created = select_attachments(db, "WHERE t.id = ?", id);
    tx.commit();
    return Outcome{created.front(), std::move(change)};
  });
}

Result<AddonChange> Store::detach_addon(const Account& user, const std::string& attachment_id) {
  return guarded<AddonChange>([&](Database& db) -> Result<AddonChange> {
    Transaction tx(db);
    auto found = select_attachments(db, "WHERE t.id = ?", attachment_id);
    if (found.empty()) return attachment_not_found();
    const AddonAttachment& t = found.front();
    db.prepare("DELETE FROM addon_attachments WHERE id = ?").bind(1, t.id).run();
    AddonChange change;
    if (!t.namespace_name) {
      // Another attachment may export the same var only under the same name, which the unique
      // index rules out; so the var is this attachment's alone.
      write_config_var(db, t.app_id, t.config_var(), std::nullopt);
      change.releases.push_back(insert_release(t.app_id, user, ref("Detach", t.name, t.addon),
                                               select_config(db, t.app_id), std::nullopt,
                                               random_hex(24)));
    }
    touch_addon(db, t.addon.id);
    tx.commit();
    return change;
  });
}

Result<AddonChange> Store::finish_provisioning(const std::string& addon_id,
                                               const std::string& resource_json,
                                               const std::string& url) {
  return guarded<AddonChange>([&](Database& db) -> Result<AddonChange> {
    Transaction tx(db);
    auto addon = select_addon(db, addon_id);
    if (!addon) return addon_not_found();
    if (addon->state != "provisioning") {
      return make_error(ErrorCode::kConflict, addon->name + " is " + addon->state + ".");
    }
    db.prepare(
          "UPDATE addons SET state = 'provisioned', resource_json = ?, url = ?,"
          " provision_message = NULL, updated_at = ? WHERE id = ?")
        .bind(1, resource_json)
        .bind(2, url)
        .bind(3, now_iso8601())
        .bind(4, addon_id)
        .run();
    addon->url = url;
    const Account creator = select_account(db, addon->created_by);
    AddonChange change;
    for (const auto& t : select_attachments(db, "WHERE t.addon_id = ?", addon_id)) {
      if (t.namespace_name) continue;
      write_config_var(db, t.app_id, t.config_var(), url);
      change.releases.push_back(insert_release(t.app_id, creator, ref("Attach", t.name, *addon),
                                               select_config(db, t.app_id), std::nullopt,
                                               random_hex(24)));
    }
    tx.commit();
    return change;
  });
}

Result<Addon> Store::fail_provisioning(const std::string& addon_id, const std::string& message) {
  return guarded<Addon>([&](Database& db) -> Result<Addon> {
    Transaction tx(db);
    db.prepare(
          "UPDATE addons SET state = 'deprovisioned', provision_message = ?, updated_at = ?"
          " WHERE id = ? AND state = 'provisioning'")
        .bind(1, message)
        .bind(2, now_iso8601())
        .bind(3, addon_id)
        .run();
    if (db.changes() == 0) return addon_not_found();
    // Nothing was exported yet (the URL comes with provisioning), so no config changes.
    db.prepare("DELETE FROM addon_attachments WHERE addon_id = ?").bind(1, addon_id).run();
    auto addon = select_addon(db, addon_id);
    tx.commit();
    return *addon;
  });
}

Result<std::pair<Addon, AddonChange>> Store::destroy_addon(const Account& user,
                                                           const std::string& addon_id) {
  using Outcome = std::pair<Addon, AddonChange>;
  return guarded<Outcome>([&](Database& db) -> Result<Outcome> {
    Transaction tx(db);
    auto addon = select_addon(db, addon_id);
    if (!addon) return addon_not_found();
    AddonChange change;
    for (const auto& t : select_attachments(db, "WHERE t.addon_id = ?", addon_id)) {
      db.prepare("DELETE FROM addon_attachments WHERE id = ?").bind(1, t.id).run();
      if (t.namespace_name || !addon->url) continue;
      write_config_var(db, t.app_id, t.config_var(), std::nullopt);
      change.releases.push_back(insert_release(t.app_id, user, ref("Detach", t.name, *addon),
                                               select_config(db, t.app_id), std::nullopt,
                                               random_hex(24)));
    }
    db.prepare("UPDATE addons SET state = 'deprovisioning', updated_at = ? WHERE id = ?")
        .bind(1, now_iso8601())
        .bind(2, addon_id)
        .run();
    addon->state = "deprovisioning";
    addon->config_vars.clear();
    tx.commit();
    return Outcome{*addon, std::move(change)};
  });
}

std::vector<Release> Store::detach_owned_addons(Database& db, const std::string& app_id) {
  auto q = db.prepare(std::string(kAddonSelect) + "WHERE d.app_id = ?");
  q.bind(1, app_id);
  std::vector<Addon> owned;
  while (q.step()) owned.push_back(read_addon(q));
  std::vector<Release> changed;
  for (const auto& addon : owned) {
    const Account creator = select_account(db, addon.created_by);
    for (const auto& t : select_attachments(db, "WHERE t.addon_id = ?", addon.id)) {
      db.prepare("DELETE FROM addon_attachments WHERE id = ?").bind(1, t.id).run();
      if (t.app_id == app_id || t.namespace_name || !addon.url) continue;
      write_config_var(db, t.app_id, t.config_var(), std::nullopt);
      changed.push_back(insert_release(t.app_id, creator, ref("Detach", t.name, addon),
                                       select_config(db, t.app_id), std::nullopt, random_hex(24)));
    }
  }
  db.prepare("DELETE FROM addons WHERE app_id = ? AND state = 'deprovisioned'")
      .bind(1, app_id)
      .run();
  db.prepare("UPDATE addons SET state = 'deprovisioning', updated_at = ? WHERE app_id = ?")
      .bind(1, now_iso8601())
      .bind(2, app_id)
      .run();
  return changed;
}

Status Store::forget_addon(const std::string& addon_id) {
  auto done = guarded<std::monostate>([&](Database& db) -> Result<std::monostate> {
    db.prepare("DELETE FROM addons WHERE id = ?").bind(1, addon_id).run();
    return std::monostate{};
  });
  if (!done) return done.error();
  return {};
}

Result<Addon> Store::rename_addon(const std::string& addon_id, const std::string& new_name) {
  return guarded<Addon>([&](Database& db) -> Result<Addon> {
    Transaction tx(db);
    if (db.prepare("SELECT 1 FROM addons WHERE name = ? AND id <> ?")
            .bind(1, new_name)
            .bind(2, addon_id)
            .step()) {
      return make_error(ErrorCode::kInvalidParams, "The name " + new_name + " is already taken.");
    }
    db.prepare("UPDATE addons SET name = ?, updated_at = ? WHERE id = ?")
        .bind(1, new_name)
        .bind(2, now_iso8601())
        .bind(3, addon_id)
        .run();
    if (db.changes() == 0) return addon_not_found();
    auto addon = select_addon(db, addon_id);
    tx.commit();
    return *addon;
  });
}

}  // namespace slipway::store
