#include "daemon/runtime_sync.h"

#include <spdlog/spdlog.h>

#include <set>

namespace slipway::daemon {

RuntimeSync::RuntimeSync(store::Store& store, runtime::Paths paths)
    : store_(store), paths_(std::move(paths)) {
  // Restart counters live in the desired files; keep counting from where they are.
  for (const auto& app : runtime::read_all_desired(paths_)) {
    restarts_[app.app_id] = RestartCounters{app.restart_all, app.restart_type, app.restart_dyno};
  }
}

void RuntimeSync::sync_all() {
  auto apps = store_.list_apps(std::nullopt);
  if (!apps) {
    spdlog::error("runtime sync: {}", apps.error().message);
    return;
  }
  std::set<std::string> ids;
  for (const auto& app : *apps) {
    ids.insert(app.id);
    app_changed(app.id);
  }
  for (const auto& desired : runtime::read_all_desired(paths_)) {
    if (ids.count(desired.app_id) == 0) app_destroyed(desired.app_id);
  }
}

void RuntimeSync::app_changed(const std::string& app_id) {
  std::lock_guard lock(mutex_);
  publish(app_id);
}

void RuntimeSync::app_destroyed(const std::string& app_id) {
  std::lock_guard lock(mutex_);
  restarts_.erase(app_id);
  (void)runtime::remove_desired(paths_, app_id);
}

void RuntimeSync::publish(const std::string& app_id) {
  auto app = store_.find_app(app_id);
  auto releases = store_.list_releases(app_id);
  auto slug = store_.current_slug(app_id);
  auto formation = store_.formation(app_id);
  if (!app || !releases || !slug || !formation) {
    spdlog::error("runtime sync: cannot read app {} from the store", app_id);
    return;
  }
  runtime::DesiredApp desired;
  desired.app_id = app->id;
  desired.app_name = app->name;
  desired.maintenance = app->maintenance;
  if (app->unix_uid) {  // each app's group has the number of its user
    desired.identity = runtime::UnixIdentity{*app->unix_uid, *app->unix_uid};
  }
  for (const auto& r : *releases) {
    if (!r.current) continue;
    desired.release_id = r.id;
    desired.release_version = r.version;
    desired.config = r.config;
  }
  if (*slug) {
    desired.slug_sha256 = (*slug)->blob_sha256;
    desired.process_types = (*slug)->process_types;
  }
  for (const auto& f : *formation) {
    desired.formation[f.type] = runtime::ProcessFormation{f.quantity, f.size};
  }
  const auto& counters = restarts_[app_id];
  desired.restart_all = counters.all;
  desired.restart_type = counters.by_type;
  desired.restart_dyno = counters.by_dyno;
  if (auto s = runtime::write_desired(paths_, desired); !s) {
    spdlog::error("runtime sync: {}", s.error().message);
  }
}

std::vector<api::DynoView> RuntimeSync::dynos(const std::string& app_id) {
  std::vector<api::DynoView> out;
  for (const auto& d : runtime::read_status(paths_, app_id)) {
    out.push_back(api::DynoView{d.name, d.type, d.command, d.state, d.size, d.release_id,
                                d.release_version, d.updated_at});
  }
  return out;
}

void RuntimeSync::restart(const std::string& app_id, const std::string& type,
                          const std::string& dyno) {
  std::lock_guard lock(mutex_);
  auto& counters = restarts_[app_id];
  if (!dyno.empty()) {
    ++counters.by_dyno[dyno];
  } else if (!type.empty()) {
    ++counters.by_type[type];
  } else {
    ++counters.all;
  }
  publish(app_id);
}

}  // namespace slipway::daemon
