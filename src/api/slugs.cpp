// Slugs (Heroku's Slug API): create a slug record, upload its archive to the returned blob URL,
// then release it with POST /apps/{app}/releases.
#include "api/app_access.h"
#include "api/request_bodies.h"
#include "api/resources.h"
#include "api/views.h"
#include "build/slug_archive.h"
#include "common/crypto.h"
#include "common/ids.h"

namespace slipway::api {
namespace {

Result<Reply> create_slug(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto body = parse_slug_create(ctx.request.body());
  if (!body) return body.error();
  const std::string secret = random_hex(24);
  store::NewSlug spec{body->process_types, body->commit, body->commit_description,
                      body->buildpack_provided_description, body->stack.value_or(app->build_stack)};
  auto slug = deps.store.create_slug(app->id, spec, sha256_hex(secret));
  if (!slug) return slug.error();
  const std::string upload_url = deps.settings.api_url + "/slug-uploads/" + slug->id + "/" + secret;
  return Reply{http::status::created, slug_json(*slug, upload_url), {}};
}

Result<Reply> slug_info(const ApiDeps& deps, RequestContext& ctx) {
  auto app = load_app(deps.store, ctx);
  if (!app) return app.error();
  auto slug = deps.store.find_slug(app->id, ctx.param("slug"));
  if (!slug) return slug.error();
  return Reply{http::status::ok, slug_json(*slug, std::nullopt), {}};
}

// PUT {blob.url}: the archive, checked entry by entry before it is kept. Slugs are immutable,
// so a second upload is refused.
Result<Reply> upload_slug(const ApiDeps& deps, RequestContext& ctx) {
  auto slug = deps.store.find_slug_for_upload(ctx.param("slug"), sha256_hex(ctx.param("secret")));
  if (!slug) return slug.error();
  if (slug->blob_sha256) {
    return make_error(ErrorCode::kConflict, "This slug's archive was already uploaded.");
  }
  if (!ctx.body_file) return make_error(ErrorCode::kBadRequest, "No archive was sent.");
  auto summary = build::check_slug_archive(*ctx.body_file);
  if (!summary) return summary.error();
  std::error_code ec;
  const auto size = static_cast<std::int64_t>(std::filesystem::file_size(*ctx.body_file, ec));
  auto sha = deps.blobs.adopt(*ctx.body_file);
  if (!sha) return sha.error();
  auto attached = deps.store.attach_slug_blob(slug->id, *sha, size);
  if (!attached) return attached.error();
  return Reply{http::status::ok, nullptr, {}};
}

}  // namespace

void register_slug_routes(Routes& routes, const ApiDeps& deps) {
  routes.add(http::verb::post, "/apps/{app}/slugs",
             [&deps](RequestContext& ctx) { return create_slug(deps, ctx); });
  routes.add(http::verb::get, "/apps/{app}/slugs/{slug}",
             [&deps](RequestContext& ctx) { return slug_info(deps, ctx); });
  routes.add_capability(http::verb::put, "/slug-uploads/{slug}/{secret}",
                        [&deps](RequestContext& ctx) { return upload_slug(deps, ctx); });
}

}  // namespace slipway::api
