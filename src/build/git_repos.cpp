#include "build/git_repos.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "build/child_process.h"
#include "common/fs.h"
#include "common/ids.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

bool is_safe_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) {
      return false;
    }
  }
  return true;
}

Status git(const std::vector<std::string>& args) {
  ChildSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = isolated_git_environment();
  auto done = run_child(spec);
  if (!done) return done.error();
  if (done->exit_code != 0) {
    return make_error(ErrorCode::kInternal, "git " + args.front() + " failed (exit " +
                                                std::to_string(done->exit_code) +
                                                "): " + done->output);
  }
  return {};
}

}  // namespace

GitRepos::GitRepos(fs::path root, fs::path hook_executable)
    : root_(std::move(root)), hook_executable_(std::move(hook_executable)) {}

std::string GitRepos::directory_name(const std::string& app_id) { return app_id + ".git"; }

std::string GitRepos::hook_script(const fs::path& executable) {
  std::string quoted = "'";
  for (const char c : executable.string()) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += "'";
  return "#!/bin/sh\n# Written by Slipway: pushes are checked and built by the control "
         "plane.\nexec " +
         quoted + " git-hook pre-receive\n";
}

Status GitRepos::install_hook(const fs::path& repo) const {
  const fs::path hook = repo / "hooks" / "pre-receive";
  const std::string script = hook_script(hook_executable_);
  if (auto current = read_file(hook); current && *current == script) return {};
  std::error_code ec;
  fs::create_directories(hook.parent_path(), ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot create " + hook.parent_path().string());
  return write_file_atomic(hook, script, 0755);
}

Result<fs::path> GitRepos::ensure(const std::string& app_id) {
  if (!is_safe_id(app_id)) return make_error(ErrorCode::kInvalidParams, "bad app id");
  const fs::path repo = root_ / directory_name(app_id);
  std::lock_guard lock(mutex_);
  std::error_code ec;
  if (fs::exists(repo / "HEAD", ec)) {
    if (auto s = install_hook(repo); !s) return s.error();
    return repo;
  }
  fs::create_directories(root_, ec);
  fs::permissions(root_, fs::perms::owner_all, ec);
  // Built beside its final place and renamed into it, so a crash never leaves half a repository.
  const fs::path building = root_ / (".new-" + random_hex(8));
  const auto cleanup = [&building] {
    std::error_code ignored;
    fs::remove_all(building, ignored);
  };
  Status made =
      git({"init", "--quiet", "--bare", "--template=", "--initial-branch=main", building.string()});
  const std::vector<std::pair<std::string, std::string>> settings{
      {"receive.denyDeletes", "false"},          // Heroku allows force pushes; the hook refuses
      {"receive.denyNonFastForwards", "false"},  // deleting main itself
      {"http.receivepack", "true"},
      {"http.uploadpack", "true"},
  };
  for (const auto& [key, value] : settings) {
    if (made) made = git({"-C", building.string(), "config", key, value});
  }
  if (made) made = install_hook(building);
  if (made) {
    fs::rename(building, repo, ec);
    if (ec) made = make_error(ErrorCode::kInternal, "cannot create " + repo.string());
  }
  if (!made) {
    cleanup();
    return made.error();
  }
  spdlog::info("git: created repository for app {}", app_id);
  return repo;
}

Status GitRepos::remove(const std::string& app_id) {
  if (!is_safe_id(app_id)) return make_error(ErrorCode::kInvalidParams, "bad app id");
  std::lock_guard lock(mutex_);
  std::error_code ec;
  fs::remove_all(root_ / directory_name(app_id), ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot remove the repository: " + ec.message());
  return {};
}

void GitRepos::remove_all_but(const std::set<std::string>& app_ids) {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const std::string name = entry.path().filename().string();
    const bool leftover = name.starts_with(".new-");
    const bool orphan =
        name.ends_with(".git") && app_ids.count(name.substr(0, name.size() - 4)) == 0;
    if (leftover || orphan) {
      std::error_code ignored;
      fs::remove_all(entry.path(), ignored);
      if (orphan) spdlog::info("git: removed the repository of destroyed app {}", name);
    }
  }
}

}  // namespace slipway::build
