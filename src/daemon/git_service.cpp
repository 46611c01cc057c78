#include "daemon/git_service.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "build/git_hook.h"
#include "build/git_http_backend.h"

namespace slipway::daemon {

GitService::GitService(build::GitRepos& repos, build::PushListener& pushes)
    : repos_(repos), pushes_(pushes) {}

Result<api::GitReply> GitService::serve(const api::GitCall& call) {
  auto repo = repos_.ensure(call.app_id);
  if (!repo) return repo.error();
  build::GitHttpCall cgi;
  cgi.method = call.method;
  cgi.repository = build::GitRepos::directory_name(call.app_id);
  cgi.path = call.path;
  cgi.query = call.query;
  cgi.content_type = call.content_type;
  cgi.content_encoding = call.content_encoding;
  cgi.git_protocol = call.git_protocol;
  cgi.remote_user = call.account_email;
  cgi.body_file = call.body_file;
  // A push: its pre-receive hook reaches the control plane with a token good for this one
  // receive-pack, withdrawn when it ends.
  std::string token;
  if (call.method == "POST" && call.path == "git-receive-pack") {
    token = pushes_.issue_token(call.app_id, call.account_id);
    cgi.extra_env[build::kPushSocketEnv] = pushes_.options().socket_path.string();
    cgi.extra_env[build::kPushArchiveDirEnv] = pushes_.options().archive_dir.string();
    cgi.extra_env[build::kPushTokenEnv] = token;
    cgi.extra_env[build::kPushAppEnv] = call.app_id;
    cgi.extra_env[build::kPushAccountEnv] = call.account_id;
  }
  struct Running {
    std::unique_ptr<build::GitHttpBackend> backend;
    build::PushListener* pushes = nullptr;
    std::string token;
    Running() = default;
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;
    ~Running() {
      if (!token.empty()) pushes->revoke_token(token);
    }
  };
  auto running = std::make_shared<Running>();
  running->pushes = &pushes_;
  running->token = token;
  auto started = build::GitHttpBackend::start(repos_.root(), cgi);
  if (!started) return started.error();
  running->backend = std::move(*started);
  auto header = running->backend->read_header(std::chrono::seconds(30));
  if (!header) return header.error();
  api::GitReply reply;
  reply.status = header->status;
  reply.headers = std::move(header->fields);
  // Polled by the HTTPS server; the process (and the token) go when the response is done.
  reply.body = [running]() { return running->backend->read_body(); };
  return reply;
}

void GitService::app_destroyed(const std::string& app_id) {
  if (auto s = repos_.remove(app_id); !s) {
    spdlog::error("git: cannot remove the repository of app {}: {}", app_id, s.error().message);
  }
}

}  // namespace slipway::daemon
