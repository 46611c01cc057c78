#include "runtime/isolation.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <system_error>

#include "build/slug_archive.h"
#include "common/fs.h"

namespace slipway::runtime {
namespace {

namespace fs = std::filesystem;

// App users are never system users; the store hands out numbers from 200000 on.
constexpr std::int64_t kMinAppId = 1000;
constexpr std::int64_t kMaxAppId = 0xFFFFFFFELL;  // (uid_t)-1 means "no change" to set*id()

Error fs_error(const std::string& what, const fs::path& path) {
  return make_error(ErrorCode::kInternal,
                    "cannot " + what + " " + path.string() + ": " +
                        std::error_code(errno, std::generic_category()).message());
}

std::optional<struct stat> lstat_of(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

bool is_real_dir(const fs::path& path) {
  const auto st = lstat_of(path);
  return st && S_ISDIR(st->st_mode);
}

// chmod, never through a symlink.
void set_mode(const fs::path& path, unsigned mode) {
  const auto st = lstat_of(path);
  if (st && !S_ISLNK(st->st_mode) && (st->st_mode & 07777) != mode) ::chmod(path.c_str(), mode);
}

// Group and other lose every permission bit (and setuid/setgid/sticky go too).
void make_private(const fs::path& path) {
  const auto st = lstat_of(path);
  if (st && !S_ISLNK(st->st_mode)) set_mode(path, st->st_mode & 0700);
}

std::vector<fs::path> entries_of(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) out.push_back(entry.path());
  return out;
}

// runtime/releases/<app id>: only the app's group (and root) may pass; nobody may list it.
void secure_app_releases_dir(const fs::path& dir, const std::optional<UnixIdentity>& identity) {
  if (isolating() && identity) {
    ::lchown(dir.c_str(), ::geteuid(), static_cast<gid_t>(identity->gid));
    set_mode(dir, 0710);
  } else {
    set_mode(dir, 0700);
  }
}

// The top is handed over last, so a top that is the app's means all of it is.
bool handed_over(const fs::path& app_dir, const UnixIdentity& identity) {
  const auto st = lstat_of(app_dir);
  return st && S_ISDIR(st->st_mode) && st->st_uid == static_cast<uid_t>(identity.uid) &&
         st->st_gid == static_cast<gid_t>(identity.gid);
}

// The freshly unpacked app directory becomes the app user's. Its top is shut (0700, still
// root's) first and handed over last, so no app process can reach inside while ownership
// changes; lchown never follows a link, and the iteration never descends through one.
Status hand_over(const fs::path& app_dir, const std::optional<UnixIdentity>& identity) {
  if (!is_real_dir(app_dir)) {
    return make_error(ErrorCode::kInvalidParams, "the slug's ./app is not a directory");
  }
  if (::chmod(app_dir.c_str(), 0700) != 0) return fs_error("chmod", app_dir);
  if (!identity) return {};
  const auto uid = static_cast<uid_t>(identity->uid);
  const auto gid = static_cast<gid_t>(identity->gid);
  std::vector<fs::path> inside;  // pre-order: every directory before what it holds
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(app_dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    inside.push_back(it->path());
  }
  if (ec) return make_error(ErrorCode::kInternal, "cannot list " + app_dir.string());
  for (auto it = inside.rbegin(); it != inside.rend(); ++it) {  // bottom-up
    if (::lchown(it->c_str(), uid, gid) != 0) return fs_error("chown", *it);
  }
  if (::lchown(app_dir.c_str(), uid, gid) != 0) return fs_error("chown", app_dir);
  return {};
}

}  // namespace

bool isolating() { return ::geteuid() == 0; }

unsigned traversable_dir_mode() { return isolating() ? 0711 : 0700; }

Result<std::optional<DynoCredentials>> dyno_credentials(const std::optional<UnixIdentity>& identity,
                                                        bool agent_is_root) {
  if (!agent_is_root) return std::optional<DynoCredentials>{};
  if (!identity) {
    return make_error(ErrorCode::kInternal,
                      "the app has no Unix user of its own yet, and its code never runs as root");
  }
  const auto in_range = [](std::int64_t id) { return id >= kMinAppId && id <= kMaxAppId; };
  if (!in_range(identity->uid) || !in_range(identity->gid)) {
    return make_error(ErrorCode::kInternal, "the app's Unix user " + std::to_string(identity->uid) +
                                                ":" + std::to_string(identity->gid) +
                                                " is not an unprivileged user");
  }
  return std::optional<DynoCredentials>{
      DynoCredentials{static_cast<uid_t>(identity->uid), static_cast<gid_t>(identity->gid)}};
}

void secure_data_dir(const fs::path& data_dir) {
  const unsigned traverse = traversable_dir_mode();
  const fs::path runtime = data_dir / "runtime";
  const fs::path releases = runtime / "releases";
  (void)make_directories(releases, traverse);
  for (const auto& dir : {data_dir, runtime, releases}) set_mode(dir, traverse);
  // DATA_DIR/postgres is the Postgres add-on's: the postgres system user passes through it to
  // its instance directories (0700, its own), so it is traversable like runtime/.
  const fs::path postgres = data_dir / "postgres";
  const bool postgres_dir = is_real_dir(postgres);
  if (postgres_dir) set_mode(postgres, traverse);
  for (const auto& entry : entries_of(data_dir)) {
    if (entry != runtime && !(postgres_dir && entry == postgres)) make_private(entry);
  }
  for (const auto& entry : entries_of(runtime)) {
    if (entry != releases) make_private(entry);
  }
}

void secure_releases(const Paths& paths, const std::vector<DesiredApp>& apps) {
  std::map<std::string, std::optional<UnixIdentity>> identities;
  for (const auto& app : apps) identities[app.app_id] = app.identity;
  const bool root = isolating();
  for (const auto& app_dir : entries_of(paths.releases_dir())) {
    if (!is_real_dir(app_dir)) continue;
    const auto known = identities.find(app_dir.filename().string());
    const std::optional<UnixIdentity> identity =
        known == identities.end() ? std::nullopt : known->second;
    secure_app_releases_dir(app_dir, identity);
    for (const auto& release : entries_of(app_dir)) {
      std::error_code ec;
      const std::string name = release.filename().string();
      if (name.size() > 8 && name.ends_with(".partial")) {  // an unpack cut short
        fs::remove_all(release, ec);
        continue;
      }
      if (!is_real_dir(release)) continue;
      if (root && identity && !handed_over(release / "app", *identity)) {
        spdlog::info("release dir {} is not its app user's; it is unpacked afresh when needed",
                     release.string());
        fs::remove_all(release, ec);
        continue;
      }
      set_mode(release, traversable_dir_mode());
      set_mode(release / "app", 0700);  // its user may have opened it up
    }
  }
}

Status unpack_release(const Paths& paths, const DesiredApp& app, const fs::path& release_dir) {
  if (!app.slug_sha256) return make_error(ErrorCode::kInvalidParams, "the release has no slug");
  const unsigned traverse = traversable_dir_mode();
  const fs::path app_releases = release_dir.parent_path();
  (void)make_directories(paths.releases_dir(), traverse);
  for (const auto& dir : {paths.data_dir / "runtime", paths.releases_dir()})
    set_mode(dir, traverse);
  if (auto s = make_directories(app_releases, 0700); !s) return s;
  const std::optional<UnixIdentity> identity = isolating() ? app.identity : std::nullopt;
  secure_app_releases_dir(app_releases, identity);
  if (auto s = build::unpack_slug_archive(paths.blob(*app.slug_sha256), release_dir); !s) return s;
  Status handed = hand_over(release_dir / "app", identity);
  if (handed && ::chmod(release_dir.c_str(), traverse) != 0)
    handed = fs_error("chmod", release_dir);
  if (!handed) {
    std::error_code ec;
    fs::remove_all(release_dir, ec);
  }
  return handed;
}

std::vector<std::string> unsearchable_ancestors(const fs::path& dir) {
  std::vector<std::string> out;
  const fs::path absolute = fs::absolute(dir).lexically_normal();
  for (fs::path p = absolute.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
      out.push_back(p.string() + " (mode " + mode + ")");
    }
    if (p == p.root_path()) break;
  }
  return out;
}

void log_isolation_status(const fs::path& data_dir) {
  if (!isolating()) {
    spdlog::warn(
        "not running as root, so apps are not isolated from each other: every app's dynos run "
        "as this user (uid {}) and can read every app's files and config vars and the whole data "
        "dir. Run Slipway as root to give each app a Unix user of its own.",
        ::geteuid());
    return;
  }
  const auto blocked = unsearchable_ancestors(data_dir);
  if (blocked.empty()) {
    spdlog::info("app isolation: each app's dynos run as a Unix user of their own");
    return;
  }
  std::string list;
  for (const auto& b : blocked) list += (list.empty() ? "" : ", ") + b;
  spdlog::warn(
      "dynos run as their apps' own users, but cannot reach their files under {}: {} cannot be "
      "searched by other users. Make it searchable (chmod o+x) or choose another data dir.",
      data_dir.string(), list);
}

}  // namespace slipway::runtime
