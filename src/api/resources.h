// Registration of each Platform API resource's routes (one .cpp per resource).
#pragma once

#include "api/addon_control.h"
#include "api/build_control.h"
#include "api/git_backend.h"
#include "api/postgres_control.h"
#include "api/release_control.h"
#include "api/routing.h"
#include "api/runtime_control.h"
#include "api/settings.h"
#include "api/transfer_control.h"
#include "store/blob_store.h"
#include "store/store.h"

namespace slipway::api {

struct ApiDeps {
  store::Store& store;
  store::BlobStore& blobs;
  RuntimeControl& runtime;
  BuildControl& builds;
  ReleaseControl& releases;
  AddonControl& addons;
  PostgresControl& postgres;
  TransferControl& transfers;
  GitBackend& git;
  const ApiSettings& settings;
};

// A resource file's handler, bound to the shared dependencies for Routes::add.
using ResourceHandler = Result<Reply> (*)(const ApiDeps&, RequestContext&);
inline Handler with_deps(const ApiDeps& deps, ResourceHandler fn) {
  return [&deps, fn](RequestContext& ctx) { return fn(deps, ctx); };
}

void register_account_routes(Routes& routes, const ApiDeps& deps);
void register_app_routes(Routes& routes, const ApiDeps& deps);
void register_config_var_routes(Routes& routes, const ApiDeps& deps);
void register_release_routes(Routes& routes, const ApiDeps& deps);
void register_collaborator_routes(Routes& routes, const ApiDeps& deps);
void register_pipeline_coupling_routes(Routes& routes, const ApiDeps& deps);
void register_addon_routes(Routes& routes, const ApiDeps& deps);
void register_addon_attachment_routes(Routes& routes, const ApiDeps& deps);
void register_pg_database_routes(Routes& routes, const ApiDeps& deps);
void register_pg_transfer_routes(Routes& routes, const ApiDeps& deps);
void register_pg_schedule_routes(Routes& routes, const ApiDeps& deps);
void register_dyno_routes(Routes& routes, const ApiDeps& deps);
void register_slug_routes(Routes& routes, const ApiDeps& deps);
void register_formation_routes(Routes& routes, const ApiDeps& deps);
void register_log_session_routes(Routes& routes, const ApiDeps& deps);
void register_build_routes(Routes& routes, const ApiDeps& deps);
void register_buildpack_installation_routes(Routes& routes, const ApiDeps& deps);

}  // namespace slipway::api
