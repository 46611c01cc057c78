// Releases: append-only, numbered per app, each with its config snapshot.
#include <nlohmann/json.hpp>

#include "common/ids.h"
#include "common/time.h"
#include "store/store.h"

namespace slipway::store {
namespace {

constexpr std::string_view kReleaseSelect =
    "SELECT r.id, r.app_id, r.version, r.description, r.status, r.user_id, u.email,"
    " r.config_json, r.slug_id, r.created_at, r.updated_at,"
    " r.version = (SELECT MAX(c.version) FROM releases c"
    "              WHERE c.app_id = r.app_id AND c.status = 'succeeded') AS current,"
    " r.output_secret"
    " FROM releases r JOIN accounts u ON u.id = r.user_id ";

Release read_release(const Statement& q) {
  Release r;
  r.id = q.text(0);
  r.app_id = q.text(1);
  r.version = q.integer(2);
  r.description = q.text(3);
  r.status = q.text(4);
  r.user_id = q.text(5);
  r.user_email = q.text(6);
  r.config = nlohmann::json::parse(q.text(7)).get<ConfigVars>();
  r.slug_id = q.optional_text(8);
  r.created_at = q.text(9);
  r.updated_at = q.text(10);
  r.current = q.integer(11) != 0;
  r.output_secret = q.optional_text(12);
  return r;
}

bool is_version_number(std::string_view ref) {
  if (ref.empty() || ref.size() > 12) return false;
  for (const char c : ref) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Release Store::insert_release(const std::string& app_id, const Account& user,
                              const std::string& description, const ConfigVars& config,
                              const std::optional<std::string>& slug_id,
                              const std::string& phase_output_secret) {
  std::int64_t version = 1;
  std::optional<std::string> slug = slug_id;
  {
    // A failed release never ran, so it is not what the app is heading to; a pending one is.
    auto q = db_->prepare(
        "SELECT COALESCE(MAX(version), 0) + 1,"
        " (SELECT slug_id FROM releases WHERE app_id = ?1 AND status != 'failed'"
        "  ORDER BY version DESC LIMIT 1)"
        " FROM releases WHERE app_id = ?1");
    q.bind(1, app_id);
    if (q.step()) {
      version = q.integer(0);
      if (!slug) slug = q.optional_text(1);
    }
  }
  bool pending = false;
  if (slug) {
    auto q = db_->prepare("SELECT process_types_json FROM slugs WHERE id = ?");
    q.bind(1, *slug);
    pending = q.step() && nlohmann::json::parse(q.text(0)).contains("release");
  }
  const std::string now = now_iso8601();
  Release r;
  r.id = new_uuid();
  r.app_id = app_id;
  r.version = version;
  r.description = description;
  r.status = pending ? "pending" : "succeeded";
  if (pending) r.output_secret = phase_output_secret;
  r.user_id = user.id;
  r.user_email = user.email;
  r.config = config;
  r.slug_id = slug;
  r.created_at = now;
  r.updated_at = now;
  r.current = !pending;
  db_->prepare(
         "INSERT INTO releases(id, app_id, version, description, status, user_id, config_json,"
         " slug_id, created_at, updated_at, output_secret) VALUES (?,?,?,?,?,?,?,?,?,?,?)")
      .bind(1, r.id)
      .bind(2, app_id)
      .bind(3, version)
      .bind(4, description)
      .bind(5, r.status)
      .bind(6, user.id)
      .bind(7, nlohmann::json(config).dump())
      .bind(8, slug)
      .bind(9, now)
      .bind(10, now)
      .bind(11, r.output_secret)
      .run();
  if (pending) return r;  // released when its release phase succeeds
  db_->prepare("UPDATE apps SET released_at = ?, updated_at = ? WHERE id = ?")
      .bind(1, now)
      .bind(2, now)
      .bind(3, app_id)
      .run();
  return r;
}

Result<std::vector<Release>> Store::list_releases(const std::string& app_id) {
  return guarded<std::vector<Release>>([&](Database& db) -> Result<std::vector<Release>> {
    auto q = db.prepare(std::string(kReleaseSelect) + "WHERE r.app_id = ? ORDER BY r.version");
    q.bind(1, app_id);
    std::vector<Release> releases;
    while (q.step()) releases.push_back(read_release(q));
    return releases;
  });
}

Result<Release> Store::find_release(const std::string& app_id, std::string_view ref) {
  return guarded<Release>([&](Database& db) -> Result<Release> {
    const bool by_version = is_version_number(ref);
    auto q = db.prepare(std::string(kReleaseSelect) + "WHERE r.app_id = ? AND " +
                        (by_version ? "r.version = ?" : "r.id = ?"));
    q.bind(1, app_id);
    if (by_version) {
      q.bind(2, static_cast<std::int64_t>(std::stoll(std::string(ref))));
    } else {
      q.bind(2, ref);
    }
    if (!q.step()) return make_error(ErrorCode::kNotFound, "Couldn't find that release.");
    return read_release(q);
  });
}

Result<Release> Store::finish_release(const std::string& release_id, bool succeeded) {
  return guarded<Release>([&](Database& db) -> Result<Release> {
    Transaction tx(db);
    const std::string now = now_iso8601();
    std::string app_id;
    {
      auto q = db.prepare("SELECT app_id FROM releases WHERE id = ? AND status = 'pending'");
      q.bind(1, release_id);
      if (!q.step()) return make_error(ErrorCode::kNotFound, "Couldn't find that pending release.");
      app_id = q.text(0);
    }
    db.prepare("UPDATE releases SET status = ?, updated_at = ? WHERE id = ?")
        .bind(1, succeeded ? "succeeded" : "failed")
        .bind(2, now)
        .bind(3, release_id)
        .run();
    if (succeeded) {
      db.prepare("UPDATE apps SET released_at = ?, updated_at = ? WHERE id = ?")
          .bind(1, now)
          .bind(2, now)
          .bind(3, app_id)
          .run();
    }
    auto q = db.prepare(std::string(kReleaseSelect) + "WHERE r.id = ?");
    q.bind(1, release_id);
    q.step();
    Release release = read_release(q);
    tx.commit();
    return release;
  });
}

Result<Release> Store::release_slug(const std::string& app_id, const Account& user,
                                    const std::string& slug_id, const std::string& description,
                                    const std::string& phase_output_secret,
                                    const ConfigVars& config_defaults) {
  return guarded<Release>([&](Database& db) -> Result<Release> {
    Transaction tx(db);
    std::map<std::string, std::string> process_types;
    {
      auto q = db.prepare(
          "SELECT blob_sha256 IS NOT NULL, process_types_json FROM slugs WHERE id = ? AND app_id = "
          "?");
      q.bind(1, slug_id).bind(2, app_id);
      if (!q.step()) return make_error(ErrorCode::kNotFound, "Couldn't find that slug.");
      if (q.integer(0) == 0) {
        return make_error(
            ErrorCode::kInvalidParams,
            "Slug " + slug_id + " has no archive yet: upload it to its blob URL first.");
      }
      process_types = nlohmann::json::parse(q.text(1)).get<std::map<std::string, std::string>>();
    }
    bool first_slug = false;
    {
      auto q = db.prepare("SELECT COUNT(*) FROM releases WHERE app_id = ? AND slug_id IS NOT NULL");
      q.bind(1, app_id);
      first_slug = q.step() && q.integer(0) == 0;
    }
    for (const auto& [key, value] : config_defaults) {  // never over a var the app has
      db.prepare(
            "INSERT INTO config_vars(app_id, key, value) VALUES (?,?,?)"
            " ON CONFLICT(app_id, key) DO NOTHING")
          .bind(1, app_id)
          .bind(2, key)
          .bind(3, value)
          .run();
    }
    ConfigVars config;
    {
      auto q = db.prepare("SELECT key, value FROM config_vars WHERE app_id = ?");
      q.bind(1, app_id);
      while (q.step()) config.emplace(q.text(0), q.text(1));
    }
    Release release =
        insert_release(app_id, user, description, config, slug_id, phase_output_secret);
    if (first_slug && process_types.count("web") != 0) {
      // Heroku scales web to one dyno on the first deploy that has a web process type, unless
      // a quantity was already asked for.
      const std::string now = now_iso8601();
      db.prepare(
            "INSERT INTO formation(id, app_id, type, quantity, size, created_at, updated_at)"
            " VALUES (?,?,'web',1,'Basic',?,?) ON CONFLICT(app_id, type) DO NOTHING")
          .bind(1, new_uuid())
          .bind(2, app_id)
          .bind(3, now)
          .bind(4, now)
          .run();
    }
    tx.commit();
    return release;
  });
}

Result<Release> Store::rollback(const std::string& app_id, const Account& user,
                                const Release& target, const std::string& phase_output_secret) {
  return guarded<Release>([&](Database& db) -> Result<Release> {
    Transaction tx(db);
    db.prepare("DELETE FROM config_vars WHERE app_id = ?").bind(1, app_id).run();
    for (const auto& [key, value] : target.config) {
      db.prepare("INSERT INTO config_vars(app_id, key, value) VALUES (?,?,?)")
          .bind(1, app_id)
          .bind(2, key)
          .bind(3, value)
          .run();
    }
    Release release = insert_release(app_id, user, "Rollback to v" + std::to_string(target.version),
                                     target.config, target.slug_id, phase_output_secret);
    tx.commit();
    return release;
  });
}

}  // namespace slipway::store
