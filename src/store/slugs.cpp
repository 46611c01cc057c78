// Slugs: records created through the Slug API, whose archive is uploaded afterwards.
#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/ids.h"
#include "common/time.h"
#include "store/store.h"

namespace slipway::store {
namespace {

constexpr std::string_view kSlugSelect =
    "SELECT id, app_id, process_types_json, commit_sha, commit_description,"
    " buildpack_provided_description, stack, blob_sha256, size, created_at, updated_at,"
    " upload_secret_sha256 FROM slugs ";

Slug read_slug(const Statement& q) {
  Slug s;
  s.id = q.text(0);
  s.app_id = q.text(1);
  s.process_types = nlohmann::json::parse(q.text(2)).get<std::map<std::string, std::string>>();
  s.commit = q.optional_text(3);
  s.commit_description = q.optional_text(4);
  s.buildpack_provided_description = q.optional_text(5);
  s.stack = q.text(6);
  s.blob_sha256 = q.optional_text(7);
  if (auto size = q.optional_text(8)) s.size = std::stoll(*size);
  s.created_at = q.text(9);
  s.updated_at = q.text(10);
  return s;
}

Error slug_not_found() { return make_error(ErrorCode::kNotFound, "Couldn't find that slug."); }

}  // namespace

Result<Slug> Store::create_slug(const std::string& app_id, const NewSlug& spec,
                                const std::string& upload_secret_sha256) {
  return guarded<Slug>([&](Database& db) -> Result<Slug> {
    const std::string now = now_iso8601();
    Slug s;
    s.id = new_uuid();
    s.app_id = app_id;
    s.process_types = spec.process_types;
    s.commit = spec.commit;
    s.commit_description = spec.commit_description;
    s.buildpack_provided_description = spec.buildpack_provided_description;
    s.stack = spec.stack;
    s.created_at = now;
    s.updated_at = now;
    db.prepare(
          "INSERT INTO slugs(id, app_id, process_types_json, commit_sha, commit_description,"
          " buildpack_provided_description, stack, upload_secret_sha256, created_at, updated_at)"
          " VALUES (?,?,?,?,?,?,?,?,?,?)")
        .bind(1, s.id)
        .bind(2, app_id)
        .bind(3, nlohmann::json(s.process_types).dump())
        .bind(4, s.commit)
        .bind(5, s.commit_description)
        .bind(6, s.buildpack_provided_description)
        .bind(7, s.stack)
        .bind(8, upload_secret_sha256)
        .bind(9, now)
        .bind(10, now)
        .run();
    return s;
  });
}

Result<Slug> Store::find_slug(const std::string& app_id, const std::string& slug_id) {
  return guarded<Slug>([&](Database& db) -> Result<Slug> {
    auto q = db.prepare(std::string(kSlugSelect) + "WHERE id = ? AND app_id = ?");
    q.bind(1, slug_id).bind(2, app_id);
    if (!q.step()) return slug_not_found();
    return read_slug(q);
  });
}

Result<Slug> Store::find_slug_for_upload(const std::string& slug_id,
                                         const std::string& secret_sha256) {
  return guarded<Slug>([&](Database& db) -> Result<Slug> {
    auto q = db.prepare(std::string(kSlugSelect) + "WHERE id = ?");
    q.bind(1, slug_id);
    if (!q.step() || !constant_time_equal(q.text(11), secret_sha256)) return slug_not_found();
    return read_slug(q);
  });
}

Result<std::optional<Slug>> Store::current_slug(const std::string& app_id) {
  return guarded<std::optional<Slug>>([&](Database& db) -> Result<std::optional<Slug>> {
    auto q = db.prepare(std::string(kSlugSelect) +
                        "WHERE id = (SELECT slug_id FROM releases WHERE app_id = ?"
                        " AND status = 'succeeded' ORDER BY version DESC LIMIT 1)");
    q.bind(1, app_id);
    if (!q.step()) return std::optional<Slug>{};
    return std::optional<Slug>(read_slug(q));
  });
}

Result<Slug> Store::attach_slug_blob(const std::string& slug_id, const std::string& blob_sha256,
                                     std::int64_t size) {
  return guarded<Slug>([&](Database& db) -> Result<Slug> {
    Transaction tx(db);
    db.prepare("UPDATE slugs SET blob_sha256 = ?, size = ?, updated_at = ? WHERE id = ?")
        .bind(1, blob_sha256)
        .bind(2, size)
        .bind(3, now_iso8601())
        .bind(4, slug_id)
        .run();
    auto q = db.prepare(std::string(kSlugSelect) + "WHERE id = ?");
    q.bind(1, slug_id);
    if (!q.step()) return slug_not_found();
    Slug slug = read_slug(q);
    tx.commit();
    return slug;
  });
}

}  // namespace slipway::store
