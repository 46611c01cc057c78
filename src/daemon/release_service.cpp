#include "daemon/release_service.h"

#include <spdlog/spdlog.h>

#include <fstream>

#include "common/ids.h"
#include "daemon/release_phase.h"
#include "logs/app_log.h"
#include "logs/output_files.h"

namespace slipway::daemon {

namespace fs = std::filesystem;

ReleaseService::ReleaseService(store::Store& store, api::RuntimeControl& runtime, fs::path data_dir)
    : store_(store), runtime_(runtime), data_dir_(std::move(data_dir)) {}

ReleaseService::~ReleaseService() {
  stop();
  std::list<Worker> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.thread.join();
}

void ReleaseService::stop() {
  std::lock_guard lock(mutex_);  // so that no waiter misses the wake-up
  stopping_ = true;
  turn_.notify_all();
}

Result<store::ConfigChangeOutcome> ReleaseService::change_config(
    const store::App& app, const store::Account& user, const store::ConfigChanges& changes,
    std::size_t max_bytes) {
  store::ConfigVars config;
  auto release = start(app, [&](const std::string& secret) -> Result<store::Release> {
    auto outcome = store_.change_config(app.id, user, changes, max_bytes, secret);
    if (!outcome) return outcome.error();
    config = std::move(outcome->config);
    return std::move(outcome->release);
  });
  if (!release) return release.error();
  return store::ConfigChangeOutcome{std::move(config), std::move(*release)};
}

Result<store::Release> ReleaseService::release_slug(const store::App& app,
                                                    const store::Account& user,
                                                    const std::string& slug_id,
                                                    const std::string& description) {
  return start(app, [&](const std::string& secret) {
    return store_.release_slug(app.id, user, slug_id, description, secret);
  });
}

Result<store::Release> ReleaseService::rollback(const store::App& app, const store::Account& user,
                                                const store::Release& target) {
  return start(app, [&](const std::string& secret) {
    return store_.rollback(app.id, user, target, secret);
  });
}

Result<store::Release> ReleaseService::release_build(const store::App& app,
                                                     const store::Account& user,
                                                     const std::string& slug_id,
                                                     const std::string& description,
                                                     const store::ConfigVars& config_defaults,
                                                     const OutputSink& sink,
                                                     const std::atomic<bool>* cancel) {
  auto release = create(app, [&](const std::string& secret) {
    return store_.release_slug(app.id, user, slug_id, description, secret, config_defaults);
  });
  if (!release) return release;
  if (release->status != "pending") {
    went_live(app, *release);
    return release;
  }
  if (sink) sink("       Running release command...\n\n");
  return run_phase(app, *release, sink, cancel);
}

Result<store::Release> ReleaseService::create(const store::App& app, const Make& make) {
  std::lock_guard lock(mutex_);
  auto release = make(random_hex(24));
  if (!release) return release;
  logs::append_line(data_dir_, app.id, "app", "api",
                    release->description + " by user " + release->user_email);
  if (release->status == "pending") queued_[app.id].insert(release->version);
  return release;
}

Result<store::Release> ReleaseService::start(const store::App& app, const Make& make) {
  auto release = create(app, make);
  if (release) launch(app, *release);
  return release;
}

Status ReleaseService::follow_releases(const MakeReleases& make) {
  std::vector<store::Release> made;
  {
    std::lock_guard lock(mutex_);  // pending ones queue in the store's version order
    auto releases = make();
    if (!releases) return releases.error();
    made = std::move(*releases);
    for (const auto& r : made) {
      logs::append_line(data_dir_, r.app_id, "app", "api",
                        r.description + " by user " + r.user_email);
      if (r.status == "pending") queued_[r.app_id].insert(r.version);
    }
  }
  for (const auto& r : made) {
    auto app = store_.find_app(r.app_id);
    if (app) {
      launch(*app, r);
      continue;
    }
    std::lock_guard lock(mutex_);  // the app went meanwhile: nothing to run
    queued_[r.app_id].erase(r.version);
    turn_.notify_all();
  }
  return {};
}

void ReleaseService::launch(const store::App& app, const store::Release& release) {
  if (release.status != "pending") {
    went_live(app, release);
    return;
  }
  std::lock_guard lock(mutex_);
  workers_.remove_if([](Worker& w) {  // threads whose phase has ended
    if (!w.done->load()) return false;
    w.thread.join();
    return true;
  });
  auto done = std::make_shared<std::atomic<bool>>(false);
  workers_.push_back(Worker{std::thread([this, app, r = release, done] {
                              run_phase(app, r, nullptr);
                              done->store(true);
                            }),
                            done});
}

store::Release ReleaseService::run_phase(const store::App& app, store::Release release,
                                         const OutputSink& sink,
                                         const std::atomic<bool>* cancel) {
  const fs::path file = logs::release_output_file(data_dir_, release.id);
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  std::ofstream log(file, std::ios::binary | std::ios::app);
  const auto out = [&](std::string_view text) {
    log.write(text.data(), static_cast<std::streamsize>(text.size()));
    log.flush();  // the output URL follows the file as it grows
    if (sink) sink(text);
  };
  {
    std::unique_lock lock(mutex_);
    const auto my_turn = [&] {
      const auto& queue = queued_[app.id];  // holds this release: create() queued it
      return stopping_ || queue.empty() || *queue.begin() == release.version;
    };
    if (!my_turn()) {
      lock.unlock();
      out("Waiting for the release phase of an earlier release of " + app.name + " to end...\n");
      lock.lock();
      turn_.wait(lock, my_turn);
    }
  }
  int status = 1;
  auto slug = store_.find_slug(app.id, release.slug_id.value_or(""));
  if (stopping_) {
    out(" !     Slipway is stopping; the release phase did not start.\n");
  } else if (!slug || !slug->blob_sha256 || slug->process_types.count("release") == 0) {
    out(" !     The release phase could not start: the release's slug cannot be read.\n");
  } else {
    ReleasePhase phase{data_dir_,          app.id,       release.id,
                       *slug->blob_sha256, app.unix_uid, slug->process_types.at("release"),
                       release.config};
    phase.stop = &stopping_;
    phase.cancel = cancel;
    status = run_release_phase(phase, out);
  }
  // Said before the release ends: its output URL stops following the file once it has.
  if (status != 0) {
    out("\n !     Release command failed (exit status " + std::to_string(status) + "); v" +
        std::to_string(release.version) +
        " was not released and the previous release keeps running.\n");
  }
  auto finished = store_.finish_release(release.id, status == 0);
  if (finished) {
    release = *finished;
  } else {
    spdlog::error("release {} of app {}: {}", release.id, app.id, finished.error().message);
  }
  if (release.status == "succeeded") {
    went_live(app, release);
  } else if (status != 0) {
    logs::append_line(data_dir_, app.id, "app", "api",
                      "Release v" + std::to_string(release.version) + " command failed by user " +
                          release.user_email);
  }
  {
    std::lock_guard lock(mutex_);
    auto& queue = queued_[app.id];
    queue.erase(release.version);
    if (queue.empty()) queued_.erase(app.id);
    turn_.notify_all();
  }
  return release;
}

void ReleaseService::went_live(const store::App& app, const store::Release& release) {
  logs::append_line(
      data_dir_, app.id, "app", "api",
      "Release v" + std::to_string(release.version) + " created by user " + release.user_email);
  runtime_.app_changed(app.id);  // the agent replaces the dynos with this release's
}

}  // namespace slipway::daemon
