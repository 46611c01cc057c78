// Builds, from source to a running release: the Build API's background builds and the builds
// inside a `git push`. One build per app at a time. A build extracts the source, runs the
// buildpacks (build/buildpack_runner), stores the slug and releases it (daemon/release_service:
// with `release:` in the Procfile, the release phase runs before the release goes live).
#pragma once

#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/build_control.h"
#include "daemon/release_service.h"
#include "store/blob_store.h"
#include "store/store.h"

namespace slipway::daemon {

struct BuildSettings {
  std::filesystem::path data_dir;
  std::filesystem::path builtin_buildpacks_dir;
  std::string app_url_template;  // "http://{app}.localhost:8080/", shown after a deploy
  std::uint64_t memory_limit_bytes = std::uint64_t{2} * 1024 * 1024 * 1024;
  std::uint64_t max_slug_bytes = std::uint64_t{500} * 1024 * 1024;  // Heroku's slug limit
};

class BuildService : public api::BuildControl {
 public:
  BuildService(store::Store& store, store::BlobStore& blobs, ReleaseService& releases,
               BuildSettings settings);
  ~BuildService() override;  // waits for background builds
  BuildService(const BuildService&) = delete;
  BuildService& operator=(const BuildService&) = delete;

  Result<store::Build> start_build(const store::App& app, const store::Account& user,
                                   const api::BuildRequest& request) override;

  // Builds and releases in the caller's thread, streaming output to `sink` too (a git push).
  // Returns the build; `deployed` says whether the new release went live.
  struct Outcome {
    store::Build build;
    bool deployed = false;
  };
  Result<Outcome> build_now(const store::App& app, const store::Account& user,
                            const api::BuildRequest& request, const OutputSink& sink);

 private:
  // Claims the app for one build; false when another build of it runs.
  bool claim(const std::string& app_id);
  void release_claim(const std::string& app_id);
  // Claims the app and creates its pending build; the claim is released on failure.
  Result<store::Build> begin(const store::App& app, const store::Account& user,
                             const api::BuildRequest& request);
  Result<store::Build> create(const store::App& app, const store::Account& user,
                              const api::BuildRequest& request);
  // Runs a created build to the end (never throws); the app's claim is released by the caller.
  Outcome execute(const store::App& app, const store::Account& user,
                  const api::BuildRequest& request, store::Build build, const OutputSink& sink);

  store::Store& store_;
  store::BlobStore& blobs_;
  ReleaseService& releases_;
  BuildSettings settings_;
  std::mutex mutex_;
  std::set<std::string> building_;  // app ids
  std::vector<std::thread> background_;
};

}  // namespace slipway::daemon
