#include "daemon/release_phase.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "runtime/dyno_process.h"
#include "runtime/isolation.h"

namespace slipway::daemon {

namespace fs = std::filesystem;

int run_release_phase(const ReleasePhase& phase,
                      const std::function<void(std::string_view)>& output) {
  const runtime::Paths paths(phase.data_dir);
  runtime::DesiredApp app;
  app.app_id = phase.app_id;
  app.slug_sha256 = phase.slug_sha256;
  if (phase.unix_uid) app.identity = runtime::UnixIdentity{*phase.unix_uid, *phase.unix_uid};
  const fs::path scratch =
      paths.releases_dir() / phase.app_id / ("release-phase-" + phase.release_id);
  std::error_code ec;
  fs::remove_all(scratch, ec);  // a leftover of an interrupted run
  if (auto unpacked = runtime::unpack_release(paths, app, scratch); !unpacked) {
    output(" !     The release phase could not start: " + unpacked.error().message + "\n");
    return 1;
  }
  const fs::path app_dir = scratch / "app";
  std::map<std::string, std::string> env = phase.config_vars;
  std::random_device random;
  const std::string dyno = "release." + std::to_string(1000 + random() % 9000);
  env["DYNO"] = dyno;
  env["PS"] = dyno;
  env["HOME"] = app_dir.string();
  env["PATH"] = app_dir.string() + "/bin:/usr/local/bin:/usr/bin:/bin";
  env["LANG"] = "C.UTF-8";
  auto spawned = runtime::spawn_dyno(phase.command, env, app_dir, app.identity);
  if (!spawned) {
    output(" !     The release phase could not start: " + spawned.error().message + "\n");
    fs::remove_all(scratch, ec);
    return 1;
  }
  const auto deadline = std::chrono::steady_clock::now() + phase.timeout;
  bool cut_short = false;  // ran out of time or was stopped
  bool cancelled = false;
  bool exited = false;
  int status = 0;
  char buffer[16384];
  for (;;) {
    pollfd fd{spawned->output_fd, POLLIN, 0};
    ::poll(&fd, 1, 200);
    const ssize_t n = ::read(spawned->output_fd, buffer, sizeof buffer);
    if (n > 0) {
      output(std::string_view(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0 || exited) break;  // EOF, or the command is gone and its output is drained
    if (::waitpid(spawned->pid, &status, WNOHANG) == spawned->pid) {
      // The command ended; whatever it left running in the background goes with it.
      exited = true;
      runtime::signal_group(spawned->pid, SIGKILL);
      continue;
    }
    if (cut_short) continue;
    if (std::chrono::steady_clock::now() > deadline) {
      cut_short = true;
      output(" !     The release phase ran out of time; stopping it.\n");
      runtime::signal_group(spawned->pid, SIGKILL);
    } else if (phase.stop != nullptr && phase.stop->load()) {
      cut_short = true;
      output(" !     Slipway is stopping; the release phase was stopped.\n");
      runtime::signal_group(spawned->pid, SIGKILL);
    }
    if (!cancelled && phase.cancel != nullptr && phase.cancel->load()) {
      cancelled = true;
      runtime::signal_group(spawned->pid, SIGKILL);
    }
  }
  ::close(spawned->output_fd);
  if (!exited) ::waitpid(spawned->pid, &status, 0);
  runtime::signal_group(spawned->pid, SIGKILL);
  fs::remove_all(scratch, ec);
  if (cut_short || cancelled) return 1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace slipway::daemon
