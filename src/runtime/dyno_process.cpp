#include "runtime/dyno_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <vector>

namespace slipway::runtime {

Result<SpawnedProcess> spawn_dyno(const std::string& command,
                                  const std::map<std::string, std::string>& env,
                                  const std::filesystem::path& cwd) {
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
  std::string bash = "/bin/bash";
  std::string dash_c = "-c";
  std::string cmd = command;
  std::vector<char*> argv{bash.data(), dash_c.data(), cmd.data(), nullptr};
  const std::string dir = cwd.string();

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
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
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
