#include "runtime/agent.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "runtime/isolation.h"

namespace slipway::runtime {
namespace {

std::atomic<bool> g_stop{false};

void request_stop(int /*signal*/) { g_stop.store(true); }

}  // namespace

std::filesystem::path agent_pid_file(const std::filesystem::path& data_dir) {
  return data_dir / "run" / "agent.pid";
}

int run_agent(const AgentOptions& options) {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  ::umask(077);  // whatever this process creates is private unless it says otherwise
  const std::filesystem::path data_dir = std::filesystem::absolute(options.data_dir);
  std::error_code ec;
  (void)make_directories(data_dir / "run", 0700);
  const auto pid_file = agent_pid_file(data_dir);
  if (auto s = write_file_atomic(pid_file, std::to_string(::getpid()) + "\n"); !s) {
    spdlog::error("agent: {}", s.error().message);
    return 1;
  }
  spdlog::info("agent {} supervising dynos from {}", ::getpid(), data_dir.string());
  log_isolation_status(data_dir);
  secure_releases(Paths(data_dir), read_all_desired(Paths(data_dir)));
  {
    Supervisor supervisor(Paths(data_dir), options.supervisor);
    supervisor.run(g_stop);
  }
  std::filesystem::remove(pid_file, ec);
  spdlog::info("agent stopped");
  return 0;
}

}  // namespace slipway::runtime
