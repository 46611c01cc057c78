// The control plane's git server: implements api::GitBackend with the build subsystem's pieces
// (the apps' repositories, git http-backend, and the push channel's one-time tokens).
#pragma once

#include <filesystem>
#include <string>

#include "api/git_backend.h"
#include "build/git_repos.h"
#include "build/push_listener.h"

namespace slipway::daemon {

class GitService : public api::GitBackend {
 public:
  GitService(build::GitRepos& repos, build::PushListener& pushes);

  Result<api::GitReply> serve(const api::GitCall& call) override;
  void app_destroyed(const std::string& app_id) override;

 private:
  build::GitRepos& repos_;
  build::PushListener& pushes_;
};

}  // namespace slipway::daemon
