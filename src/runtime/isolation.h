// App isolation: when the agent runs as root, each app's dynos run as the app's own
// unprivileged user and group (numbers the store allocates, carried in the desired-state file),
// and the data dir is laid out so that an app user can reach its own release's directory and
// nothing else:
//   DATA_DIR, runtime/, runtime/releases/       0711 root: traversable, not listable
//   postgres/                                    0711 root: the postgres user passes through to
//                                                its instance directories (0700 postgres)
//   runtime/releases/<app id>/                   0710 root:<app gid>: only that app gets through
//   runtime/releases/<app id>/<release id>/      0711 root
//   runtime/releases/<app id>/<release id>/app/  0700 <app uid>:<app gid>, the whole tree: the
//                                                dyno's HOME and cwd, writable (ephemeral)
//   everything else (slipway.db, tls/, blobs/, logs/, run/, runtime/desired/, runtime/status/,
//   runtime/routes.json, admin-token, api-url)   0700 / 0600, the agent's (root's)
// Without root there is nothing to isolate with: dynos run as the agent's user, and the
// traversable directories above are 0700 like the rest.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/state_files.h"

namespace slipway::runtime {

// True when dynos run as their apps' own users: this process runs as root.
bool isolating();

// 0711 when isolating (app users pass through on the way to their own directory), else 0700.
unsigned traversable_dir_mode();

struct DynoCredentials {
  uid_t uid;
  gid_t gid;
};

// Whom a dyno of an app with `identity` runs as. nullopt: as the agent itself (not root).
// An error when the agent is root and the identity is missing or not an unprivileged user:
// an app's code never runs as root.
Result<std::optional<DynoCredentials>> dyno_credentials(const std::optional<UnixIdentity>& identity,
                                                        bool agent_is_root);

// Startup pass over a data dir, made by any earlier version: creates runtime/ and
// runtime/releases/ if missing, makes the data dir, those two and postgres/ (if present)
// traversable (when isolating) and every other entry of the data dir and of runtime/ owner-only.
// Cheap: it does not recurse into private directories, whose own mode already shuts app users out.
void secure_data_dir(const std::filesystem::path& data_dir);

// The agent's startup pass over runtime/releases/: each app's directory gets its mode and group,
// leftovers of interrupted unpacks go, and release directories not (entirely) handed over to
// their app's user (unpacked by a Slipway without isolation, or by an agent that crashed midway)
// are removed: they are unpacked again from their slug when a dyno needs them. Directories of
// apps that no longer exist become root-only.
void secure_releases(const Paths& paths, const std::vector<DesiredApp>& apps);

// Unpacks the app's current slug into `release_dir` (see build::unpack_slug_archive) and hands
// the app directory over to the app's user: chowned bottom-up without following links (nothing
// in it is reachable by the app until its top is the app's), mode 0700. On failure nothing is
// left behind.
Status unpack_release(const Paths& paths, const DesiredApp& app,
                      const std::filesystem::path& release_dir);

// The directories above `dir` that other users cannot search (no o+x): app users could not
// reach their release directories under a data dir there. Empty when all are fine.
std::vector<std::string> unsearchable_ancestors(const std::filesystem::path& dir);

// Logs, once at start, what isolation this process gives: a warning when not root (every dyno
// runs as this user), or when a directory above the data dir shuts app users out.
void log_isolation_status(const std::filesystem::path& data_dir);

}  // namespace slipway::runtime
