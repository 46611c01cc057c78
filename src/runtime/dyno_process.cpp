#include "runtime/dyno_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "runtime/isolation.h"

namespace slipway::runtime {

namespace {

// In the forked child: says why on the dyno's output (the app log), then exits.
template <std::size_t N>
[[noreturn]] void child_fail(const char (&message)[N], int status) {
  const ssize_t written = ::write(STDERR_FILENO, message, N - 1);
  (void)written;
  ::_exit(status);
}

}  // namespace

Result<SpawnedProcess> spawn_dyno(const std::string& command,
                                  const std::map<std::string, std::string>& env,
                                  const std::filesystem::path& cwd,
                                  const std::optional<UnixIdentity>& identity) {
  auto credentials = dyno_credentials(identity, ::geteuid() == 0);
  if (!credentials) return credentials.error();
  const bool drop = credentials->has_value();
  const uid_t uid = drop ? (*credentials)->uid : 0;
  const gid_t gid = drop ? (*credentials)->gid : 0;
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto& [k, v] : env) {
    std::string entry;
    entry.reserve(k.size() + 1 + v.size());
    entry.append(k).append("=").append(v);
    env_strings.push_back(std::move(entry));
  }
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  // As on Heroku, the dyno's shell first sources what buildpacks left in .profile.d (a Python
  // virtualenv on PATH, node_modules/.bin, ...) and the app's .profile. The command is passed as
  // an argument, never pasted into the script.
  std::string bash = "/bin/bash";
  std::string dash_c = "-c";
  std::string script =
      "for f in \"$HOME\"/.profile.d/*.sh; do if [ -r \"$f\" ]; then . \"$f\"; fi; done; "
      "unset f; if [ -r \"$HOME/.profile\" ]; then . \"$HOME/.profile\"; fi; "
      "slipway_command=$1; shift; eval \"$slipway_command\"";
  std::string name = "slipway-dyno";
  std::string cmd = command;
  std::vector<char*> argv{bash.data(), dash_c.data(), script.data(),
                          name.data(), cmd.data(),    nullptr};
  const std::string dir = cwd.string();
  const long open_max = ::sysconf(_SC_OPEN_MAX);  // NOLINT(google-runtime-int): sysconf's type
  const int max_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 65536;

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kInternal,
                      "pipe: " + std::error_code(errno, std::generic_category()).message());
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return make_error(ErrorCode::kInternal,
                      "fork: " + std::error_code(errno, std::generic_category()).message());
  }
  if (pid == 0) {
    ::setsid();
    // The forked child has one thread; these are the async-signal-safe calls POSIX allows here.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // NOLINT(concurrency-mt-unsafe)
    ::signal(SIGPIPE, SIG_DFL);                  // NOLINT(concurrency-mt-unsafe)
    ::signal(SIGTERM, SIG_DFL);                  // NOLINT(concurrency-mt-unsafe)
    ::signal(SIGINT, SIG_DFL);                   // NOLINT(concurrency-mt-unsafe)
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    // Nothing the agent holds open reaches the app (most descriptors are close-on-exec already).
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < max_fd; ++fd) ::close(fd);  // kernels before 5.9
    }
    if (drop) {
      // Groups first (it takes privilege), then the group, then the user; each checked: a dyno
      // that could not shed root's privileges must not run at all.
      if (::setgroups(0, nullptr) != 0) {
        child_fail("slipway: cannot drop supplementary groups (setgroups)\n", kExitSetgroupsFailed);
      }
      if (::setgid(gid) != 0) {
        child_fail("slipway: cannot switch to the app's group (setgid)\n", kExitSetgidFailed);
      }
      if (::setuid(uid) != 0) {
        child_fail("slipway: cannot switch to the app's user (setuid)\n", kExitSetuidFailed);
      }
      if (::setuid(0) == 0 || ::geteuid() != uid || ::getegid() != gid) {
        child_fail("slipway: privileges were not dropped\n", kExitPrivilegesKept);
      }
      // Set-user-ID programs (su, sudo, ...) cannot lift the dyno's privileges either.
      ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    }
    ::umask(077);  // what the dyno writes (e.g. in /tmp) is its own unless it says otherwise
    if (::chdir(dir.c_str()) != 0) {
      child_fail(
          "slipway: cannot enter the app directory (every directory above the data dir must be "
          "searchable by others: chmod o+x)\n",
          kExitChdirFailed);
    }
    ::execve(argv[0], argv.data(), envp.data());
    child_fail("slipway: cannot run /bin/bash\n", kExitExecFailed);
  }
  ::close(pipe_fds[1]);
  ::fcntl(pipe_fds[0], F_SETFL, ::fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
  return SpawnedProcess{pid, pipe_fds[0]};
}

void signal_group(pid_t pgid, int signal) {
  if (pgid > 0) ::kill(-pgid, signal);
}

int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool port_accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace slipway::runtime
