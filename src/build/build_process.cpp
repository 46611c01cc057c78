#include "build/build_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace slipway::build {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxLineBytes = std::size_t{64} * 1024;
constexpr int kPollMillis = 50;
constexpr auto kDrainAfterExit = std::chrono::seconds(2);

// What the child reports on the exec-error pipe when a step before exec fails.
enum class ChildStage : int { kChdir = 1, kRlimit, kNice, kGroups, kGid, kUid, kExec };

struct ChildFailure {
  int stage = 0;
  int error = 0;
};

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset();
    fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

Result<Pipe> make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kInternal, "pipe: " + errno_text(errno));
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// Splits a stream into lines for the callback, or collects it.
class Sink {
 public:
  Sink(const LineFn* on_line, std::string* capture, std::size_t max_capture)
      : on_line_(on_line), capture_(capture), max_capture_(max_capture) {}

  void feed(std::string_view data) {
    if (capture_) {
      const std::size_t room = max_capture_ - std::min(max_capture_, capture_->size());
      if (data.size() > room) truncated_ = true;
      capture_->append(data.substr(0, room));
      return;
    }
    for (const char c : data) {
      pending_ += c;
      if (c == '\n' || pending_.size() >= kMaxLineBytes) {
        if (pending_.back() != '\n') pending_ += '\n';
        emit();
      }
    }
  }
  void finish() {
    if (!pending_.empty()) {
      pending_ += '\n';
      emit();
    }
  }
  bool truncated() const { return truncated_; }

 private:
  void emit() {
    if (on_line_ && *on_line_) (*on_line_)(pending_);
    pending_.clear();
  }

  const LineFn* on_line_;
  std::string* capture_;
  std::size_t max_capture_;
  std::string pending_;
  bool truncated_ = false;
};

// Everything the child needs, built before fork: after it only async-signal-safe calls.
struct ChildPlan {
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  std::vector<std::string> argv_strings;
  std::vector<char*> argv;
  std::string cwd;
  rlimit data_limit{RLIM_INFINITY, RLIM_INFINITY};
  bool limit_data = false;
  rlimit file_limit{RLIM_INFINITY, RLIM_INFINITY};
  bool limit_file = false;
  int nice_increment = 0;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

ChildPlan plan_child(const ProcessSpec& spec) {
  ChildPlan plan;
  plan.env_strings.reserve(spec.env.size());
  for (const auto& [k, v] : spec.env) {
    std::string entry;
    entry.reserve(k.size() + 1 + v.size());
    entry.append(k).append("=").append(v);
    plan.env_strings.push_back(std::move(entry));
  }
  for (auto& s : plan.env_strings) plan.envp.push_back(s.data());
  plan.envp.push_back(nullptr);
  plan.argv_strings = spec.argv;
  for (auto& s : plan.argv_strings) plan.argv.push_back(s.data());
  plan.argv.push_back(nullptr);
  plan.cwd = spec.cwd.string();
  if (spec.limits.memory_limit_bytes > 0) {
    plan.limit_data = true;
    plan.data_limit.rlim_cur = plan.data_limit.rlim_max = spec.limits.memory_limit_bytes;
  }
  if (spec.limits.max_file_bytes > 0) {
    plan.limit_file = true;
    plan.file_limit.rlim_cur = plan.file_limit.rlim_max = spec.limits.max_file_bytes;
  }
  plan.nice_increment = spec.limits.nice_increment;
  if (spec.limits.run_as) {
    plan.switch_user = true;
    plan.uid = spec.limits.run_as->first;
    plan.gid = spec.limits.run_as->second;
  }
  return plan;
}

[[noreturn]] void child_fail(int report_fd, ChildStage stage) {
  const ChildFailure failure{static_cast<int>(stage), errno};
  [[maybe_unused]] const auto n = ::write(report_fd, &failure, sizeof failure);
  ::_exit(127);
}

// In the forked child (one thread): only async-signal-safe calls from here to exec.
[[noreturn]] void exec_child(const ChildPlan& plan, int out_fd, int err_fd, int report_fd) {
  ::setsid();  // its own session and process group, so the whole group can be signalled
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // NOLINT(concurrency-mt-unsafe): forked child
  for (int s = 1; s < NSIG; ++s) {
    ::signal(s, SIG_DFL);  // NOLINT(concurrency-mt-unsafe): forked child; SIG_IGN survives exec
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd, STDERR_FILENO);
  // Descriptors other threads opened without O_CLOEXEC must not reach the build.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  if (plan.limit_data && ::setrlimit(RLIMIT_DATA, &plan.data_limit) != 0) {
    child_fail(report_fd, ChildStage::kRlimit);
  }
  if (plan.limit_file && ::setrlimit(RLIMIT_FSIZE, &plan.file_limit) != 0) {
    child_fail(report_fd, ChildStage::kRlimit);
  }
  if (plan.nice_increment != 0) {
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, 0);
    if (errno != 0 || ::setpriority(PRIO_PROCESS, 0, current + plan.nice_increment) != 0) {
      child_fail(report_fd, ChildStage::kNice);
    }
  }
  if (plan.switch_user) {
    if (::setgroups(1, &plan.gid) != 0) child_fail(report_fd, ChildStage::kGroups);
    if (::setgid(plan.gid) != 0) child_fail(report_fd, ChildStage::kGid);
    if (::setuid(plan.uid) != 0) child_fail(report_fd, ChildStage::kUid);
  }
  if (::chdir(plan.cwd.c_str()) != 0) child_fail(report_fd, ChildStage::kChdir);
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  child_fail(report_fd, ChildStage::kExec);
}

std::string describe_failure(const ProcessSpec& spec, const ChildFailure& failure) {
  const std::string why = errno_text(failure.error);
  switch (static_cast<ChildStage>(failure.stage)) {
    case ChildStage::kChdir:
      return "cannot enter " + spec.cwd.string() + ": " + why;
    case ChildStage::kRlimit:
      return "cannot set the memory limit: " + why;
    case ChildStage::kNice:
      return "cannot lower the priority: " + why;
    case ChildStage::kGroups:
    case ChildStage::kGid:
    case ChildStage::kUid:
      return "cannot switch to uid " + std::to_string(spec.limits.run_as->first) + ": " + why;
    default:
      return "cannot run " + spec.argv.front() + ": " + why;
  }
}

// Watches the child until it has exited (not reaped: its pid, which is also its process group id,
// cannot be reused meanwhile) and its output has been read.
class Supervision {
 public:
  Supervision(pid_t pid, const ProcessControl& control) : pid_(pid), control_(control) {}

  // True once the child has exited; kills on cancel or deadline.
  bool check() {
    if (!exited_) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid_) {
        exited_ = true;
        // Whatever it left behind in its group goes with it (and stops holding the pipes).
        ::kill(-pid_, SIGKILL);
        exited_at_ = Clock::now();
      }
    }
    if (!exited_) {
      const auto now = Clock::now();
      const bool cancel = control_.cancel && control_.cancel->load();
      if (!stopping_ && (cancel || now >= control_.deadline)) {
        stopping_ = true;
        cancelled_ = cancel;
        timed_out_ = !cancel;
        stop_started_ = now;
        ::kill(-pid_, SIGTERM);
      } else if (stopping_ && !killed_ && now - stop_started_ >= control_.kill_grace) {
        killed_ = true;
        ::kill(-pid_, SIGKILL);
      }
    }
    return exited_;
  }
  bool drain_expired() const { return exited_ && Clock::now() - exited_at_ > kDrainAfterExit; }
  bool cancelled() const { return cancelled_; }
  bool timed_out() const { return timed_out_; }

 private:
  pid_t pid_;
  const ProcessControl& control_;
  bool exited_ = false;
  bool stopping_ = false;
  bool killed_ = false;
  bool cancelled_ = false;
  bool timed_out_ = false;
  Clock::time_point exited_at_;
  Clock::time_point stop_started_;
};

void pump(std::array<Fd*, 2> fds, std::array<Sink*, 2> sinks, Supervision& watch) {
  std::array<char, 16384> buffer{};
  for (;;) {
    std::array<pollfd, 2> polled{};
    nfds_t count = 0;
    std::array<std::size_t, 2> which{};
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i] && fds[i]->get() >= 0) {
        polled[count] = pollfd{fds[i]->get(), POLLIN, 0};
        which[count++] = i;
      }
    }
    const bool exited = watch.check();
    if (count == 0 || (exited && watch.drain_expired())) return;
    const int ready = ::poll(polled.data(), count, kPollMillis);
    if (ready < 0 && errno != EINTR) return;
    for (nfds_t p = 0; ready > 0 && p < count; ++p) {
      if (polled[p].revents == 0) continue;
      const std::size_t i = which[p];
      const ssize_t n = ::read(fds[i]->get(), buffer.data(), buffer.size());
      if (n > 0) {
        sinks[i]->feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[i]->reset();
      }
    }
  }
}

}  // namespace

Result<ProcessOutcome> run_process(const ProcessSpec& spec, const LineFn& on_line,
                                   const ProcessControl& control) {
  if (spec.argv.empty() || spec.argv.front().empty() || spec.argv.front().front() != '/') {
    return make_error(ErrorCode::kInternal, "run_process needs an absolute program path");
  }
  const ChildPlan plan = plan_child(spec);
  auto out = make_pipe();
  auto report = make_pipe();
  if (!out) return out.error();
  if (!report) return report.error();
  Result<Pipe> captured = spec.capture_stdout ? make_pipe() : Result<Pipe>(Pipe{});
  if (!captured) return captured.error();

  const pid_t pid = ::fork();
  if (pid < 0) return make_error(ErrorCode::kInternal, "fork: " + errno_text(errno));
  if (pid == 0) {
    const int stdout_fd = spec.capture_stdout ? captured->write.get() : out->write.get();
    exec_child(plan, stdout_fd, out->write.get(), report->write.get());
  }
  out->write.reset();
  captured->write.reset();
  report->write.reset();

  // EOF on the report pipe: exec succeeded (close-on-exec) or the child died before it.
  ChildFailure failure;
  ssize_t got = 0;
  do {
    got = ::read(report->read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return make_error(ErrorCode::kInternal, describe_failure(spec, failure));
  }

  ProcessOutcome outcome;
  Sink merged(&on_line, nullptr, 0);
  Sink stdout_sink(nullptr, &outcome.captured, spec.max_capture);
  Supervision watch(pid, control);
  pump({&out->read, spec.capture_stdout ? &captured->read : nullptr}, {&merged, &stdout_sink},
       watch);
  merged.finish();
  while (!watch.check()) ::poll(nullptr, 0, kPollMillis);  // output closed early: wait for exit
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  outcome.cancelled = watch.cancelled();
  outcome.timed_out = watch.timed_out();
  outcome.capture_truncated = stdout_sink.truncated();
  return outcome;
}

std::optional<fs::path> find_program(std::string_view name, std::string_view search_path) {
  while (!search_path.empty()) {
    const auto colon = search_path.find(':');
    const auto dir = search_path.substr(0, colon);
    if (!dir.empty()) {
      fs::path candidate = fs::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0 && fs::is_regular_file(candidate)) {
        return candidate;
      }
    }
    if (colon == std::string_view::npos) break;
    search_path.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

}  // namespace slipway::build
