// The release phase: the Procfile's `release:` command, run once as a one-off dyno of the new
// release (its slug and config) before the release goes live. Like a dyno it runs as the app's
// user, from a fresh copy of the slug (under runtime/releases/<app>/, which only that user can
// enter), removed afterwards: what it writes there does not reach the release's dynos.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace slipway::daemon {

struct ReleasePhase {
  std::filesystem::path data_dir;
  std::string app_id;
  std::string release_id;
  std::string slug_sha256;
  std::optional<std::int64_t> unix_uid;  // the app's user: the command runs as it (when root)
  std::string command;
  std::map<std::string, std::string> config_vars;
  std::chrono::seconds timeout{3600};
  // Set by a stopping server: the command ends now, as failed, saying why.
  const std::atomic<bool>* stop = nullptr;
  // Set when its caller gives up (the pusher went away): killed, and the caller explains.
  const std::atomic<bool>* cancel = nullptr;
};

// Runs it to the end, streaming its output to `output`; returns the exit status (non-zero
// also when it could not start, ran out of time, was stopped or cancelled, after saying why in
// the output; nothing is said for a cancel, whose caller explains it).
int run_release_phase(const ReleasePhase& phase,
                      const std::function<void(std::string_view)>& output);

}  // namespace slipway::daemon
