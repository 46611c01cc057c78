// Builds, uploaded sources and each app's buildpack list.
#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "common/ids.h"
#include "common/time.h"
#include "store/store.h"

namespace slipway::store {
namespace {

constexpr std::string_view kBuildSelect =
    "SELECT b.id, b.app_id, b.status, b.user_id, u.email, b.source_url, b.source_version,"
    " b.source_checksum, b.buildpacks_json, b.slug_id, b.release_id, b.output_secret,"
    " b.created_at, b.updated_at FROM builds b JOIN accounts u ON u.id = b.user_id ";

Build read_build(const Statement& q) {
  Build b;
  b.id = q.text(0);
  b.app_id = q.text(1);
  b.status = q.text(2);
  b.user_id = q.text(3);
  b.user_email = q.text(4);
  b.source_url = q.text(5);
  b.source_version = q.optional_text(6);
  b.source_checksum = q.optional_text(7);
  b.buildpacks = nlohmann::json::parse(q.text(8)).get<std::vector<std::string>>();
  b.slug_id = q.optional_text(9);
  b.release_id = q.optional_text(10);
  b.output_secret = q.text(11);
  b.created_at = q.text(12);
  b.updated_at = q.text(13);
  return b;
}

Error build_not_found() { return make_error(ErrorCode::kNotFound, "Couldn't find that build."); }

Source read_source(const Statement& q) {
  Source s;
  s.id = q.text(0);
  s.account_id = q.text(1);
  s.blob_sha256 = q.optional_text(2);
  if (auto size = q.optional_text(3)) s.size = std::stoll(*size);
  s.created_at = q.text(4);
  return s;
}

constexpr std::string_view kSourceSelect =
    "SELECT id, account_id, blob_sha256, size, created_at, secret_sha256 FROM sources ";

}  // namespace

Result<Build> Store::create_build(const std::string& app_id, const Account& user,
                                  const NewBuild& build, const std::string& output_secret) {
  return guarded<Build>([&](Database& db) -> Result<Build> {
    const std::string now = now_iso8601();
    Build b;
    b.id = new_uuid();
    b.app_id = app_id;
    b.status = "pending";
    b.user_id = user.id;
    b.user_email = user.email;
    b.source_url = build.source_url;
    b.source_version = build.source_version;
    b.source_checksum = build.source_checksum;
    b.buildpacks = build.buildpacks;
    b.output_secret = output_secret;
    b.created_at = now;
    b.updated_at = now;
    db.prepare(
          "INSERT INTO builds(id, app_id, status, user_id, source_url, source_version,"
          " source_checksum, buildpacks_json, output_secret, created_at, updated_at)"
          " VALUES (?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, b.id)
        .bind(2, app_id)
        .bind(3, b.status)
        .bind(4, user.id)
        .bind(5, b.source_url)
        .bind(6, b.source_version)
        .bind(7, b.source_checksum)
        .bind(8, nlohmann::json(b.buildpacks).dump())
        .bind(9, output_secret)
        .bind(10, now)
        .bind(11, now)
        .run();
    return b;
  });
}

Result<Build> Store::finish_build(const std::string& build_id, bool succeeded,
                                  const std::vector<std::string>& buildpacks,
                                  const std::optional<std::string>& slug_id,
                                  const std::optional<std::string>& release_id) {
  return guarded<Build>([&](Database& db) -> Result<Build> {
    Transaction tx(db);
    db.prepare(
          "UPDATE builds SET status = ?, buildpacks_json = ?, slug_id = ?, release_id = ?,"
          " updated_at = ? WHERE id = ? AND status = 'pending'")
        .bind(1, succeeded ? "succeeded" : "failed")
        .bind(2, nlohmann::json(buildpacks).dump())
        .bind(3, slug_id)
        .bind(4, release_id)
        .bind(5, now_iso8601())
        .bind(6, build_id)
        .run();
    auto q = db.prepare(std::string(kBuildSelect) + "WHERE b.id = ?");
    q.bind(1, build_id);
    if (!q.step()) return build_not_found();
    Build b = read_build(q);
    tx.commit();
    return b;
  });
}

Result<std::vector<Build>> Store::list_builds(const std::string& app_id) {
  return guarded<std::vector<Build>>([&](Database& db) -> Result<std::vector<Build>> {
    auto q =
        db.prepare(std::string(kBuildSelect) + "WHERE b.app_id = ? ORDER BY b.created_at, b.rowid");
    q.bind(1, app_id);
    std::vector<Build> builds;
    while (q.step()) builds.push_back(read_build(q));
    return builds;
  });
}

Result<Build> Store::find_build(const std::string& app_id, const std::string& build_id) {
  return guarded<Build>([&](Database& db) -> Result<Build> {
    auto q = db.prepare(std::string(kBuildSelect) + "WHERE b.app_id = ? AND b.id = ?");
    q.bind(1, app_id).bind(2, build_id);
    if (!q.step()) return build_not_found();
    return read_build(q);
  });
}

Result<Build> Store::find_build_for_output(const std::string& build_id, std::string_view secret) {
  return guarded<Build>([&](Database& db) -> Result<Build> {
    auto q = db.prepare(std::string(kBuildSelect) + "WHERE b.id = ?");
    q.bind(1, build_id);
    if (!q.step()) return build_not_found();
    Build b = read_build(q);
    if (!constant_time_equal(b.output_secret, secret)) return build_not_found();
    return b;
  });
}

Result<Release> Store::find_release_for_output(const std::string& release_id,
                                               std::string_view secret) {
  auto app_id = guarded<std::string>([&](Database& db) -> Result<std::string> {
    auto q = db.prepare("SELECT app_id, output_secret FROM releases WHERE id = ?");
    q.bind(1, release_id);
    if (!q.step() || !q.optional_text(1) || !constant_time_equal(*q.optional_text(1), secret)) {
      return make_error(ErrorCode::kNotFound, "Couldn't find that release output.");
    }
    return q.text(0);
  });
  if (!app_id) return app_id.error();
  return find_release(*app_id, release_id);
}

Result<Source> Store::create_source(const std::string& account_id,
                                    const std::string& secret_sha256) {
  return guarded<Source>([&](Database& db) -> Result<Source> {
    Source s;
    s.id = new_uuid();
    s.account_id = account_id;
    s.created_at = now_iso8601();
    db.prepare(
          "INSERT INTO sources(id, account_id, secret_sha256, created_at, updated_at)"
          " VALUES (?,?,?,?,?)")
        .bind(1, s.id)
        .bind(2, account_id)
        .bind(3, secret_sha256)
        .bind(4, s.created_at)
        .bind(5, s.created_at)
        .run();
    return s;
  });
}

Result<Source> Store::find_source(const std::string& source_id, const std::string& secret_sha256) {
  return guarded<Source>([&](Database& db) -> Result<Source> {
    auto q = db.prepare(std::string(kSourceSelect) + "WHERE id = ?");
    q.bind(1, source_id);
    if (!q.step() || !constant_time_equal(q.text(5), secret_sha256)) {
      return make_error(ErrorCode::kNotFound, "Couldn't find that source.");
    }
    return read_source(q);
  });
}

Result<Source> Store::attach_source_blob(const std::string& source_id,
                                         const std::string& blob_sha256, std::int64_t size) {
  return guarded<Source>([&](Database& db) -> Result<Source> {
    Transaction tx(db);
    db.prepare("UPDATE sources SET blob_sha256 = ?, size = ?, updated_at = ? WHERE id = ?")
        .bind(1, blob_sha256)
        .bind(2, size)
        .bind(3, now_iso8601())
        .bind(4, source_id)
        .run();
    auto q = db.prepare(std::string(kSourceSelect) + "WHERE id = ?");
    q.bind(1, source_id);
    if (!q.step()) return make_error(ErrorCode::kNotFound, "Couldn't find that source.");
    Source s = read_source(q);
    tx.commit();
    return s;
  });
}

Result<std::vector<std::string>> Store::buildpack_installations(const std::string& app_id) {
  return guarded<std::vector<std::string>>([&](Database& db) -> Result<std::vector<std::string>> {
    auto q =
        db.prepare("SELECT url FROM buildpack_installations WHERE app_id = ? ORDER BY ordinal");
    q.bind(1, app_id);
    std::vector<std::string> urls;
    while (q.step()) urls.push_back(q.text(0));
    return urls;
  });
}

Result<std::vector<std::string>> Store::set_buildpack_installations(
    const std::string& app_id, const std::vector<std::string>& urls) {
  return guarded<std::vector<std::string>>([&](Database& db) -> Result<std::vector<std::string>> {
    Transaction tx(db);
    db.prepare("DELETE FROM buildpack_installations WHERE app_id = ?").bind(1, app_id).run();
    std::int64_t ordinal = 0;
    for (const auto& url : urls) {
      db.prepare("INSERT INTO buildpack_installations(app_id, ordinal, url) VALUES (?,?,?)")
          .bind(1, app_id)
          .bind(2, ordinal++)
          .bind(3, url)
          .run();
    }
    tx.commit();
    return urls;
  });
}

Result<std::int64_t> Store::fail_interrupted_work() {
  return guarded<std::int64_t>([&](Database& db) -> Result<std::int64_t> {
    Transaction tx(db);
    const std::string now = now_iso8601();
    db.prepare("UPDATE builds SET status = 'failed', updated_at = ? WHERE status = 'pending'")
        .bind(1, now)
        .run();
    std::int64_t changed = db.changes();
    db.prepare("UPDATE releases SET status = 'failed', updated_at = ? WHERE status = 'pending'")
        .bind(1, now)
        .run();
    changed += db.changes();
    tx.commit();
    return changed;
  });
}

}  // namespace slipway::store
