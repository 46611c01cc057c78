#include "addons/postgres/process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// What a child reports through the status pipe before exec (or instead of it).
struct ChildReport {
  char kind;  // 'p': the daemon's pid, 'e': a failed step's errno
  int step;   // for 'e': which step failed
  int value;  // pid or errno
};

enum Step { kStepPrivileges = 1, kStepChdir, kStepLog, kStepExec, kStepFork };

const char* step_text(int step) {
  switch (step) {
    case kStepPrivileges:
      return "cannot switch to the postgres user";
    case kStepChdir:
      return "cannot enter the instance directory (every directory above it must be searchable "
             "by the postgres user: chmod o+x)";
    case kStepLog:
      return "cannot open the log file";
    case kStepExec:
      return "cannot execute";
    default:
      return "cannot fork";
  }
}

// The argv and environment as C arrays, built before fork: after it only async-signal-safe calls.
struct ExecImage {
  std::vector<std::string> env_storage{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
  std::vector<char*> argv;
  std::vector<char*> envp;
  explicit ExecImage(const std::vector<std::string>& args,
                     const std::vector<std::string>& extra_env = {}) {
    env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
  }
};

void report(int fd, ChildReport r) { (void)!::write(fd, &r, sizeof r); }

// In a forked child: default signals, no inherited descriptors beyond 0-2 and `keep`, the
// runner's identity, `cwd`. Returns the failed step or 0.
int prepare_child(const std::optional<RunAs>& runner, const char* cwd, int keep) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // NOLINT(concurrency-mt-unsafe)
  for (const int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT}) {
    ::signal(sig, SIG_DFL);  // NOLINT(concurrency-mt-unsafe)
  }
  if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
  ::close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
  if (runner) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(runner->gid) != 0 || ::setuid(runner->uid) != 0 ||
        ::geteuid() != runner->uid) {
      return kStepPrivileges;
    }
  }
  ::umask(077);
  if (::chdir(cwd) != 0) return kStepChdir;
  return 0;
}

Error child_error(const std::string& program, const ChildReport& r) {
  return make_error(ErrorCode::kInternal,
                    std::string(step_text(r.step)) + " (" + program + "): " + errno_text(r.value));
}

// The last `n` lines of `text`.
std::string tail_lines(const std::string& text, int n) {
  std::size_t pos = text.size();
  while (pos > 0 && text[pos - 1] == '\n') --pos;
  const std::size_t end = pos;
  for (int i = 0; i < n && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) {
      pos = 0;
      break;
    }
  }
  return text.substr(pos == 0 ? 0 : pos + 1, end - (pos == 0 ? 0 : pos + 1));
}

}  // namespace

Result<std::optional<RunAs>> postgres_runner() {
  if (::geteuid() != 0) return std::optional<RunAs>{};
  std::array<char, 4096> buf{};
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwnam_r("postgres", &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return make_error(ErrorCode::kInternal,
                      "running as root, PostgreSQL must run as the `postgres` system user, which "
                      "does not exist (install the postgresql-15 package)");
  }
  if (pw.pw_uid == 0) {
    return make_error(ErrorCode::kInternal, "the `postgres` user is root; PostgreSQL refuses that");
  }
  return std::optional<RunAs>{RunAs{pw.pw_uid, pw.pw_gid}};
}

Status hand_to(const fs::path& path, const std::optional<RunAs>& runner) {
  if (!runner) return {};
  if (::lchown(path.c_str(), runner->uid, runner->gid) != 0) {
    return make_error(ErrorCode::kInternal,
                      "cannot chown " + path.string() + " to postgres: " + errno_text(errno));
  }
  return {};
}

Result<std::string> run_program(const std::vector<std::string>& argv, const fs::path& cwd,
                                const std::optional<RunAs>& runner) {
  return run_program(argv, cwd, runner, {});
}

Result<std::string> run_program(const std::vector<std::string>& argv, const fs::path& cwd,
                                const std::optional<RunAs>& runner,
                                const std::vector<std::string>& env) {
  ExecImage image(argv, env);
  const std::string dir = cwd.string();
  int out[2];
  int status_pipe[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return make_error(ErrorCode::kInternal, "pipe failed");
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return make_error(ErrorCode::kInternal, "pipe failed");
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    if (const int step = prepare_child(runner, dir.c_str(), status_pipe[1]); step != 0) {
      report(status_pipe[1], {'e', step, errno});
      ::_exit(127);
    }
    ::execve(image.argv[0], image.argv.data(), image.envp.data());
    report(status_pipe[1], {'e', kStepExec, errno});
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(status_pipe[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(status_pipe[0]);
    return make_error(ErrorCode::kInternal, "fork failed: " + errno_text(errno));
  }
  std::string output;
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(out[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  ChildReport r{};
  const bool failed_early = ::read(status_pipe[0], &r, sizeof r) == sizeof r;
  ::close(status_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (failed_early) return child_error(argv[0], r);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status)
                                ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                : "was killed by signal " + std::to_string(WTERMSIG(status));
    return make_error(ErrorCode::kInternal, fs::path(argv[0]).filename().string() + " " + how +
                                                ": " + tail_lines(output, 5));
  }
  return output;
}

Result<pid_t> spawn_daemon(const std::vector<std::string>& argv, const fs::path& cwd,
                           const fs::path& log, const std::optional<RunAs>& runner) {
  ExecImage image(argv);
  const std::string dir = cwd.string();
  const std::string log_path = log.string();
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) return make_error(ErrorCode::kInternal, "pipe failed");
  const pid_t middle = ::fork();
  if (middle == 0) {
    ::setsid();  // its own session: no terminal, no signals meant for our process group
    const pid_t daemon = ::fork();
    if (daemon != 0) {
      if (daemon < 0) {
        report(status_pipe[1], {'e', kStepFork, errno});
      } else {
        report(status_pipe[1], {'p', 0, daemon});
      }
      ::_exit(0);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (const int step = prepare_child(runner, dir.c_str(), status_pipe[1]); step != 0) {
      report(status_pipe[1], {'e', step, errno});
      ::_exit(127);
    }
    // Opened as the runner, so the log is theirs; appended to across restarts.
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);
    if (fd < 0) {
      report(status_pipe[1], {'e', kStepLog, errno});
      ::_exit(127);
    }
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO) ::close(fd);
    ::execve(image.argv[0], image.argv.data(), image.envp.data());
    report(status_pipe[1], {'e', kStepExec, errno});
    ::_exit(127);
  }
  ::close(status_pipe[1]);
  if (middle < 0) {
    ::close(status_pipe[0]);
    return make_error(ErrorCode::kInternal, "fork failed: " + errno_text(errno));
  }
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  // Read until every writer is gone: the middle child (exited) and the daemon (at exec).
  pid_t daemon = -1;
  std::optional<ChildReport> failure;
  ChildReport r{};
  for (;;) {
    const ssize_t n = ::read(status_pipe[0], &r, sizeof r);
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof r) break;
    if (r.kind == 'p') daemon = r.value;
    if (r.kind == 'e') failure = r;
  }
  ::close(status_pipe[0]);
  if (failure) return child_error(argv[0], *failure);
  if (daemon <= 0) return make_error(ErrorCode::kInternal, "cannot start " + argv[0]);
  return daemon;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return ::kill(pid, 0) == 0 || errno == EPERM;
  // "pid (comm) S ...": the state follows the last ')', since comm may hold anything.
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

}  // namespace slipway::addons::postgres
