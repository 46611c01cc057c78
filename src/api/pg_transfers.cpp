// The data API's PGBackups endpoints (spec §10.3): backups, restores and copies of a database
// (/client/v11/databases/{id}/…), an app's transfers (/client/v11/apps/{app}/transfers/…, the
// app by name or id, a transfer by number or id), and the expiring download URL of a backup.
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "api/addon_access.h"
#include "api/app_access.h"
#include "api/resources.h"
#include "api/transfer_views.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "common/time.h"

namespace slipway::api {
namespace {

using nlohmann::json;

constexpr std::string_view kPostgresService = "heroku-postgresql";
constexpr std::string_view kBackupPath = "/backups/";
constexpr std::string_view kDownloadPath = "/backup-downloads/";
constexpr auto kPublicUrlLifetime = std::chrono::minutes(60);

// A provisioned Postgres add-on the caller may use, or 404 (the CLI says "not yet provisioned").
Result<store::Addon> load_database(const ApiDeps& deps, const RequestContext& ctx) {
  auto addon = find_accessible_addon(deps, ctx.param("addon"), ctx.account);
  if (!addon) return addon.error();
  if (addon->service != kPostgresService) {
    return make_error(ErrorCode::kNotFound, addon->name + " is not a Postgres database.");
  }
  if (addon->state != "provisioned") {
    return make_error(ErrorCode::kNotFound, addon->name + " is " + addon->state + ".");
  }
  return addon;
}

Result<store::Transfer> load_transfer(const ApiDeps& deps, const RequestContext& ctx) {
  auto app = find_accessible_app(deps.store, ctx.param("app"), ctx.account);
  if (!app) return app.error();
  return deps.store.find_transfer(app->id, ctx.param("transfer"));
}

Reply transfer_reply(const ApiDeps& deps, http::status status, const store::Transfer& t) {
  return Reply{status, transfer_json(t, deps.settings.api_url), {}};
}

Result<Reply> capture(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_database(deps, ctx);
  if (!addon) return addon.error();
  auto t = deps.transfers.capture(*addon, std::nullopt);
  if (!t) return t.error();
  return transfer_reply(deps, http::status::created, *t);
}

// A backup_url naming one of this server's backups (a backup's to_url), if it is one.
Result<std::optional<store::Transfer>> own_backup(const ApiDeps& deps, const RequestContext& ctx,
                                                  const std::string& url) {
  // A download URL (pg:backups:url) of this server: its secret is the capability.
  const std::string download_prefix = deps.settings.api_url + std::string(kDownloadPath);
  if (url.starts_with(download_prefix)) {
    const std::string rest = url.substr(download_prefix.size());
    const auto slash = rest.find('/');
    auto t = deps.store.find_transfer_for_download(
        rest.substr(0, slash),
        sha256_hex(slash == std::string::npos ? "" : rest.substr(slash + 1)));
    if (!t) return t.error();
    return std::optional<store::Transfer>(*t);
  }
  const std::string prefix = deps.settings.api_url + std::string(kBackupPath);
  if (!url.starts_with(prefix)) return std::optional<store::Transfer>();
  std::string id = url.substr(prefix.size());
  if (id.ends_with(".dump")) id.resize(id.size() - 5);
  const auto unknown = [] {
    return make_error(ErrorCode::kNotFound,
                      "Couldn't find that backup: it was deleted, or it "
                      "belongs to an app you cannot use.");
  };
  if (!is_uuid(id)) return unknown();
  auto t = deps.store.find_transfer_by_id(id);
  if (!t || t->deleted_at || !is_backup(*t)) return unknown();
  if (!find_accessible_app(deps.store, t->app_id, ctx.account)) return unknown();
  if (t->succeeded != true || !t->blob_sha256) {
    return make_error(ErrorCode::kInvalidParams,
                      "Backup " + transfer_name(*t) + " did not succeed; it cannot be restored.");
  }
  return std::optional<store::Transfer>(*t);
}

Result<Reply> restore(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_database(deps, ctx);
  if (!addon) return addon.error();
  auto body = parse_restore_body(ctx.request.body());
  if (!body) return body.error();
  auto backup = own_backup(deps, ctx, body->backup_url);
  if (!backup) return backup.error();
  RestoreSource source{*backup, *backup ? std::string() : body->backup_url};
  auto t = deps.transfers.restore(*addon, attachment_name_for(*addon), source);
  if (!t) return t.error();
  return transfer_reply(deps, http::status::created, *t);
}

CopyEndpoint endpoint(const store::Addon& addon, const std::string& name, const std::string& url) {
  // Only this request's database is taken as ours; any other URL is used with the credentials
  // it carries, as the client gave them.
  if (addon.url && *addon.url == url) return CopyEndpoint{name, addon, url};
  return CopyEndpoint{name, std::nullopt, url};
}

Result<Reply> copy(const ApiDeps& deps, RequestContext& ctx) {
  auto addon = load_database(deps, ctx);
  if (!addon) return addon.error();
  auto body = parse_copy_body(ctx.request.body());
  if (!body) return body.error();
  if (body->from_url == body->to_url) {
    return make_error(ErrorCode::kInvalidParams, "The source and target databases are the same.");
  }
  CopyEndpoint from = endpoint(*addon, body->from_name, body->from_url);
  CopyEndpoint to = endpoint(*addon, body->to_name, body->to_url);
  if (!from.addon && !to.addon) {
    return make_error(ErrorCode::kInvalidParams,
                      "Neither from_url nor to_url is the URL of " + addon->name + ".");
  }
  if (from.name.empty()) from.name = redact_url(from.url);
  if (to.name.empty()) to.name = redact_url(to.url);
  auto t = deps.transfers.copy(*addon, from, to);
  if (!t) return t.error();
  return transfer_reply(deps, http::status::created, *t);
}

Result<Reply> list_transfers(const ApiDeps& deps, RequestContext& ctx) {
  auto app = find_accessible_app(deps.store, ctx.param("app"), ctx.account);
  if (!app) return app.error();
  auto list = deps.store.list_transfers(app->id);
  if (!list) return list.error();
  json out = json::array();
  for (const auto& t : *list) out.push_back(transfer_json(t, deps.settings.api_url));
  return Reply{http::status::ok, out, {}};
}

Result<Reply> show_transfer(const ApiDeps& deps, RequestContext& ctx) {
  auto t = load_transfer(deps, ctx);
  if (!t) return t.error();
  return transfer_reply(deps, http::status::ok, *t);
}

Result<Reply> delete_transfer(const ApiDeps& deps, RequestContext& ctx) {
  auto t = load_transfer(deps, ctx);
  if (!t) return t.error();
  if (auto s = deps.transfers.remove(*t); !s) return s.error();
  return transfer_reply(deps, http::status::ok, *t);
}

Result<Reply> cancel_transfer(const ApiDeps& deps, RequestContext& ctx) {
  auto t = load_transfer(deps, ctx);
  if (!t) return t.error();
  auto canceled = deps.transfers.cancel(*t);
  if (!canceled) return canceled.error();
  return transfer_reply(deps, http::status::ok, *canceled);
}

Result<Reply> public_url(const ApiDeps& deps, RequestContext& ctx) {
  auto t = load_transfer(deps, ctx);
  if (!t) return t.error();
  if (!is_backup(*t) || t->succeeded != true || !t->blob_sha256) {
    return make_error(ErrorCode::kInvalidParams,
                      transfer_name(*t) + " is not a completed backup; it has no download.");
  }
  const std::string secret = random_hex(32);
  const std::string expires =
      iso8601(std::chrono::system_clock::now() +
              std::chrono::duration_cast<std::chrono::system_clock::duration>(kPublicUrlLifetime));
  if (auto s = deps.store.set_transfer_public_secret(t->id, sha256_hex(secret), expires); !s) {
    return s.error();
  }
  const std::string url = deps.settings.api_url + std::string(kDownloadPath) + t->id + "/" + secret;
  return Reply{http::status::created, json{{"url", url}, {"expires_at", expires}}, {}};
}

// Serves the archive: no redirect, and a Content-Length (the CLI's progress bar reads it).
Result<Reply> download(const ApiDeps& deps, RequestContext& ctx) {
  auto t =
      deps.store.find_transfer_for_download(ctx.param("transfer"), sha256_hex(ctx.param("secret")));
  if (!t) return t.error();
  const std::filesystem::path file = deps.blobs.path_of(*t->blob_sha256);
  auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
  struct stat st {};
  if (!*in || ::stat(file.c_str(), &st) != 0) {
    return make_error(ErrorCode::kNotFound, "The archive of this backup is gone.");
  }
  Reply reply;
  reply.content_type = "application/octet-stream";
  reply.headers.emplace_back("Content-Length", std::to_string(st.st_size));
  reply.headers.emplace_back("Content-Disposition",
                             "attachment; filename=\"" + transfer_name(*t) + ".dump\"");
  reply.stream = [in]() -> std::optional<std::string> {
    std::string chunk(std::size_t{256} * 1024, '\0');
    in->read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<std::size_t>(in->gcount()));
    if (chunk.empty()) return std::nullopt;
    return chunk;
  };
  return reply;
}

}  // namespace

void register_pg_transfer_routes(Routes& routes, const ApiDeps& deps) {
  const auto bind = [&deps](ResourceHandler fn) { return with_deps(deps, fn); };
  routes.add(http::verb::post, "/client/v11/databases/{addon}/backups", bind(capture));
  routes.add(http::verb::post, "/client/v11/databases/{addon}/restores", bind(restore));
  routes.add(http::verb::post, "/client/v11/databases/{addon}/transfers", bind(copy));
  routes.add(http::verb::get, "/client/v11/apps/{app}/transfers", bind(list_transfers));
  routes.add(http::verb::get, "/client/v11/apps/{app}/transfers/{transfer}", bind(show_transfer));
  routes.add(http::verb::delete_, "/client/v11/apps/{app}/transfers/{transfer}",
             bind(delete_transfer));
  routes.add(http::verb::post, "/client/v11/apps/{app}/transfers/{transfer}/actions/public-url",
             bind(public_url));
  routes.add(http::verb::post, "/client/v11/apps/{app}/transfers/{transfer}/actions/cancel",
             bind(cancel_transfer));
  routes.add_capability(http::verb::get, "/backup-downloads/{transfer}/{secret}", bind(download));
}

}  // namespace slipway::api
