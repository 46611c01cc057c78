// Builds (Heroku's Build API) and the source tarballs they start from: POST /sources gives
// upload and download URLs on the blob store, POST /apps/{app}/builds builds one, and each build
// (and each release phase) has an output URL that streams its log while it runs.
#include <fstream>

#include "api/app_access.h"
#include "api/list_reply.h"
#include "api/request_bodies.h"
#include "api/resources.h"
#include "api/views.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "logs/output_files.h"

namespace slipway::api {
namespace {

namespace fs = std::filesystem;

std::string source_url(const ApiSettings& settings, const std::string& id,
                       const std::string& secret) {
  return settings.api_url + "/sources/" + id + "/" + secret;
}

Result<Reply> create_source(const ApiDeps& deps, RequestContext& ctx) {
  const std::string secret = random_hex(24);
  auto source = deps.store.create_source(ctx.account.id, sha256_hex(secret));
  if (!source) return source.error();
  const std::string url = source_url(deps.settings, source->id, secret);
  return Reply{http::status::created, {{"source_blob", {{"get_url", url}, {"put_url", url}}}}, {}};
}

Result<Reply> upload_source(const ApiDeps& deps, RequestContext& ctx) {
  auto source = deps.store.find_source(ctx.param("source"), sha256_hex(ctx.param("secret")));
  if (!source) return source.error();
  if (source->blob_sha256) {
    return make_error(ErrorCode::kConflict, "This source was already uploaded.");
  }
  if (!ctx.body_file) return make_error(ErrorCode::kBadRequest, "No tarball was sent.");
  std::error_code ec;
  const auto size = static_cast<std::int64_t>(fs::file_size(*ctx.body_file, ec));
  auto sha = deps.blobs.adopt(*ctx.body_file);
  if (!sha) return sha.error();
  auto attached = deps.store.attach_source_blob(source->id, *sha, size);
  if (!attached) return attached.error();
  return Reply{http::status::ok, nullptr, {}};
}

// Streams a file from `offset` as it grows, until `running` says the writer is done (then what
// is left is sent and the body ends).
BodyStream follow_file(fs::path file, std::function<bool()> running) {
  return [file = std::move(file), running = std::move(running),
          offset = std::uint64_t{0}]() mutable -> std::optional<std::string> {
    const bool still_running = running();  // asked first: nothing written after it is missed
    std::ifstream in(file, std::ios::binary);
    std::string chunk;
    if (in) {
      in.seekg(static_cast<std::streamoff>(offset));
      chunk.resize(std::size_t{64} * 1024);
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      chunk.resize(static_cast<std::size_t>(in.gcount()));
      offset += chunk.size();
    }
    if (!chunk.empty()) return chunk;
    if (still_running) return std::string();
    return std::nullopt;
  };
}

Result<Reply> download_source(const ApiDeps& deps, RequestContext& ctx) {
  auto source = deps.store.find_source(ctx.param("source"), sha256_hex(ctx.param("secret")));
  if (!source) return source.error();
  if (!source->blob_sha256) return make_error(ErrorCode::kNotFound, "Nothing was uploaded yet.");
  Reply reply;
  reply.content_type = "application/octet-stream";
  reply.stream = follow_file(deps.blobs.path_of(*source->blob_sha256), [] { return false; });
  return reply;
}

// A source URL handed out by POST /sources on this server is resolved to its tarball here;
// any other URL gives an empty path, and the build downloads it.
Result<fs::path> local_source(const ApiDeps& deps, const std::string& url) {
  const std::string prefix = deps.settings.api_url + "/sources/";
  if (!url.starts_with(prefix)) return fs::path();
  const auto unknown = [] {
    return make_error(ErrorCode::kInvalidParams,
                      "`source_blob.url` names no source on this Slipway: use the `get_url` "
                      "POST /sources returned.");
  };
  const std::string rest = url.substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return unknown();
  auto source = deps.store.find_source(rest.substr(0, slash), sha256_hex(rest.substr(slash + 1)));
  if (!source) return unknown();
  if (!source->blob_sha256) {
    return make_error(ErrorCode::kInvalidParams,
                      "Nothing was uploaded to that source URL yet: PUT the tarball first.");
  }
  return deps.blobs.path_of(*source->blob_sha256);
}

Result<Reply> create_build(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto body = parse_build_create(ctx.request.body());
  if (!body) return body.error();
  auto file = local_source(deps, body->source_url);
  if (!file) return file.error();
  BuildRequest request{body->source_url, *file, body->version, body->checksum, std::nullopt};
  if (!body->buildpacks.empty()) request.buildpacks = body->buildpacks;
  auto build = deps.builds.start_build(*app, ctx.account, request);
  if (!build) return build.error();
  return Reply{http::status::created, build_json(*build, deps.settings.api_url), {}};
}

Result<Reply> list_builds(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto builds = deps.store.list_builds(app->id);
  if (!builds) return builds.error();
  std::vector<nlohmann::json> items;
  std::map<std::string, std::vector<SortKey>> fields{{"created_at", {}}, {"id", {}}};
  for (const auto& b : *builds) {
    items.push_back(build_json(b, deps.settings.api_url));
    fields["created_at"].push_back(text_key(b.created_at));
    fields["id"].push_back(text_key(b.id));
  }
  return list_reply(ctx, items, fields, "created_at");
}

Result<Reply> build_info(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto build = deps.store.find_build(app->id, ctx.param("build"));
  if (!build) return build.error();
  return Reply{http::status::ok, build_json(*build, deps.settings.api_url), {}};
}

Reply text_stream(BodyStream stream) {
  Reply reply;
  reply.content_type = "text/plain; charset=utf-8";
  reply.headers.emplace_back("Cache-Control", "no-cache");
  reply.stream = std::move(stream);
  return reply;
}

Result<Reply> build_output(const ApiDeps& deps, RequestContext& ctx) {
  auto build = deps.store.find_build_for_output(ctx.param("build"), ctx.param("secret"));
  if (!build) return build.error();
  store::Store& store = deps.store;
  return text_stream(follow_file(logs::build_output_file(deps.settings.data_dir, build->id),
                                 [&store, app_id = build->app_id, id = build->id] {
                                   auto now = store.find_build(app_id, id);
                                   return now && now->status == "pending";
                                 }));
}

Result<Reply> release_output(const ApiDeps& deps, RequestContext& ctx) {
  auto release = deps.store.find_release_for_output(ctx.param("release"), ctx.param("secret"));
  if (!release) return release.error();
  store::Store& store = deps.store;
  return text_stream(follow_file(logs::release_output_file(deps.settings.data_dir, release->id),
                                 [&store, app_id = release->app_id, id = release->id] {
                                   auto now = store.find_release(app_id, id);
                                   return now && now->status == "pending";
                                 }));
}

Result<Reply> list_buildpacks(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto urls = deps.store.buildpack_installations(app->id);
  if (!urls) return urls.error();
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < urls->size(); ++i) {
    out.push_back(buildpack_installation_json((*urls)[i], i));
  }
  return Reply{http::status::ok, out, {}};
}

Result<Reply> set_buildpacks(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto updates = parse_buildpack_updates(ctx.request.body());
  if (!updates) return updates.error();
  auto urls = deps.store.set_buildpack_installations(app->id, *updates);
  if (!urls) return urls.error();
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < urls->size(); ++i) {
    out.push_back(buildpack_installation_json((*urls)[i], i));
  }
  return Reply{http::status::ok, out, {}};
}

}  // namespace

void register_build_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::post, "/sources",
             [&deps](RequestContext& ctx) { return create_source(deps, ctx); });
  routes.add_capability(http::verb::put, "/sources/{source}/{secret}",
                        [&deps](RequestContext& ctx) { return upload_source(deps, ctx); });
  routes.add_capability(http::verb::get, "/sources/{source}/{secret}",
                        [&deps](RequestContext& ctx) { return download_source(deps, ctx); });
  routes.add(http::verb::post, "/apps/{app}/builds",
             [&deps](RequestContext& ctx) { return create_build(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/builds",
             [&deps](RequestContext& ctx) { return list_builds(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/builds/{build}",
             [&deps](RequestContext& ctx) { return build_info(deps, ctx); });
  routes.add_capability(http::verb::get, "/build-output/{build}/{secret}",
                        [&deps](RequestContext& ctx) { return build_output(deps, ctx); });
  routes.add_capability(http::verb::get, "/release-output/{release}/{secret}",
                        [&deps](RequestContext& ctx) { return release_output(deps, ctx); });
}

void register_buildpack_installation_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::get, "/apps/{app}/buildpack-installations",
             [&deps](RequestContext& ctx) { return list_buildpacks(deps, ctx); });
  routes.add(http::verb::put, "/apps/{app}/buildpack-installations",
             [&deps](RequestContext& ctx) { return set_buildpacks(deps, ctx); });
}

}  // namespace slipway::api
