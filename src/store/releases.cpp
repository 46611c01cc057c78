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
    "              WHERE c.app_id = r.app_id AND c.status = 'succeeded') AS current"
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
                              const std::string& description, const ConfigVars& config) {
  std::int64_t version = 1;
  {
    auto q = db_->prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM releases WHERE app_id = ?");
    q.bind(1, app_id);
    if (q.step()) version = q.integer(0);
  }
  const std::string now = now_iso8601();
  Release r;
  r.id = new_uuid();
  r.app_id = app_id;
  r.version = version;
  r.description = description;
  r.status = "succeeded";
  r.user_id = user.id;
  r.user_email = user.email;
  r.config = config;
  r.created_at = now;
  r.updated_at = now;
  r.current = true;
  db_->prepare(
         "INSERT INTO releases(id, app_id, version, description, status, user_id, config_json,"
         " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)")
      .bind(1, r.id)
      .bind(2, app_id)
      .bind(3, version)
      .bind(4, description)
      .bind(5, r.status)
      .bind(6, user.id)
      .bind(7, nlohmann::json(config).dump())
      .bind(8, now)
      .bind(9, now)
      .run();
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

}  // namespace slipway::store
