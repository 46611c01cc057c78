#include "daemon/data_plane.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <thread>

#include "common/fs.h"

namespace slipway::daemon {

namespace fs = std::filesystem;

pid_t running_pid(const fs::path& pid_file) {
  auto text = read_file(pid_file);
  if (!text) return 0;
  char* end = nullptr;
  const long value = std::strtol(text->c_str(), &end, 10);
  if (end == text->c_str() || value <= 0 || value > INT32_MAX) return 0;
  const auto pid = static_cast<pid_t>(value);
  if (::kill(pid, 0) != 0) return 0;
  // A stale pid file may name an unrelated process that reused the pid.
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmdline || cmdline->find("slipway") == std::string::npos) return 0;
  return pid;
}

Result<std::pair<pid_t, bool>> ensure_running(const fs::path& executable,
                                              const DataPlaneProcess& process) {
  if (const pid_t pid = running_pid(process.pid_file); pid > 0) return std::pair{pid, true};
  std::error_code ec;
  fs::remove(process.pid_file, ec);
  (void)make_directories(process.log_file.parent_path(), 0700);
  std::vector<std::string> argv_strings{executable.string()};
  argv_strings.insert(argv_strings.end(), process.args.begin(), process.args.end());
  std::vector<char*> argv;
  argv.reserve(argv_strings.size() + 1);
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string log = process.log_file.string();

  const pid_t child = ::fork();
  if (child < 0) return make_error(ErrorCode::kInternal, "fork failed");
  if (child == 0) {
    // Double fork: the grandchild is reparented to init and outlives this server.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // NOLINT(concurrency-mt-unsafe): forked child
    const int devnull = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  for (int i = 0; i < 200; ++i) {  // up to 10 s for it to come up
    if (const pid_t pid = running_pid(process.pid_file); pid > 0) return std::pair{pid, false};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return make_error(ErrorCode::kInternal,
                    "the " + process.name + " did not start; see " + process.log_file.string());
}

void stop_process(pid_t pid, std::chrono::seconds grace) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::kill(pid, 0) != 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
}

}  // namespace slipway::daemon
