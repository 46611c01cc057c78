#include "build/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string_view>
#include <system_error>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace slipway::build {
namespace {

std::string errno_message(int err) {
  return std::error_code(err, std::generic_category()).message();
}

// posix_spawn's handles, released whatever happens.
struct SpawnHandles {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
  SpawnHandles() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnHandles() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnHandles(const SpawnHandles&) = delete;
  SpawnHandles& operator=(const SpawnHandles&) = delete;
};

}  // namespace

Result<Child> spawn_child(const ChildSpec& spec) {
  if (spec.argv.empty()) return make_error(ErrorCode::kInternal, "spawn: empty argv");
  std::vector<std::string> argv_strings = spec.argv;
  std::vector<char*> argv;
  argv.reserve(argv_strings.size() + 1);
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  env_strings.reserve(spec.env.size());
  for (const auto& [key, value] : spec.env) {
    std::string entry = key;
    entry.append("=").append(value);
    env_strings.push_back(std::move(entry));
  }
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kInternal, "pipe: " + errno_message(errno));
  }
  SpawnHandles h;
  const std::string stdin_path = spec.stdin_file ? spec.stdin_file->string() : "/dev/null";
  posix_spawn_file_actions_addopen(&h.actions, STDIN_FILENO, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&h.actions, pipe_fds[1], STDOUT_FILENO);
  if (spec.merge_stderr) posix_spawn_file_actions_adddup2(&h.actions, pipe_fds[1], STDERR_FILENO);
  const std::string cwd = spec.cwd.string();
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&h.actions, cwd.c_str());

  // The control plane blocks SIGINT/SIGTERM and ignores SIGPIPE; children get the defaults.
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&h.attributes, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&h.attributes, &defaults);
  if (spec.own_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&h.attributes, 0);
  }
  posix_spawnattr_setflags(&h.attributes, flags);

  pid_t pid = -1;
  const int err =
      ::posix_spawnp(&pid, argv[0], &h.actions, &h.attributes, argv.data(), envp.data());
  ::close(pipe_fds[1]);
  if (err != 0) {
    ::close(pipe_fds[0]);
    return make_error(ErrorCode::kInternal,
                      "cannot run " + spec.argv[0] + ": " + errno_message(err));
  }
  return Child{pid, pipe_fds[0]};
}

Result<Completed> run_child(const ChildSpec& spec) {
  auto child = spawn_child(spec);
  if (!child) return child.error();
  constexpr std::size_t kMaxOutput = std::size_t{1024} * 1024;
  Completed done;
  std::array<char, 8192> buffer{};
  for (;;) {
    const ssize_t n = ::read(child->stdout_fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (done.output.size() < kMaxOutput) done.output.append(buffer.data(), static_cast<size_t>(n));
  }
  ::close(child->stdout_fd);
  int status = 0;
  while (::waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {
  }
  done.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return done;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

std::map<std::string, std::string> isolated_git_environment() {
  // Only what git needs: the control plane's own environment may carry an operator's secrets.
  static constexpr std::array<std::string_view, 10> kKept{
      "PATH",   "HOME",         "LANG",         "LC_ALL",        "TZ",
      "TMPDIR", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "SLIPWAY_LOG_LEVEL"};
  std::map<std::string, std::string> env;
  for (auto& [key, value] : current_environment()) {
    for (const auto kept : kKept) {
      if (key == kept) env.emplace(key, value);
    }
  }
  if (env.count("PATH") == 0) env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env["GIT_CONFIG_NOSYSTEM"] = "1";
  env["GIT_CONFIG_GLOBAL"] = "/dev/null";
  env["GIT_TERMINAL_PROMPT"] = "0";
  return env;
}

}  // namespace slipway::build
