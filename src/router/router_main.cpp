#include "router/router_main.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "router/proxy.h"
#include "router/route_table.h"

namespace slipway::router {

std::filesystem::path router_pid_file(const std::filesystem::path& data_dir) {
  return data_dir / "run" / "router.pid";
}

int run_router(const RouterOptions& options) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  ::umask(077);  // what this process creates is private unless it says otherwise

  const auto colon = options.listen.rfind(':');
  if (colon == std::string::npos) {
    spdlog::error("router: --listen must be HOST:PORT");
    return 1;
  }
  std::string host = options.listen.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  const auto port = static_cast<unsigned short>(std::stoi(options.listen.substr(colon + 1)));
  const auto data_dir = std::filesystem::absolute(options.data_dir);

  RouteTable routes(data_dir / "runtime" / "routes.json");
  ProxyOptions proxy_options;
  proxy_options.data_dir = data_dir;
  proxy_options.domain = options.domain;
  proxy_options.first_byte_timeout = std::chrono::seconds(options.request_timeout_seconds);
  proxy_options.threads = std::max(2U, std::thread::hardware_concurrency());
  Proxy proxy(proxy_options, routes);
  auto bound = proxy.listen(host, port);
  if (!bound) {
    spdlog::error("{}", bound.error().message);
    return 1;
  }
  proxy.start();
  std::error_code ec;
  (void)make_directories(data_dir / "run", 0700);
  // The pid file is written once listening, so "started" means "serving".
  if (auto s = write_file_atomic(router_pid_file(data_dir), std::to_string(::getpid()) + "\n");
      !s) {
    spdlog::error("router: {}", s.error().message);
    return 1;
  }
  spdlog::info("router {} listening on {}:{}", ::getpid(), host, bound->port());
  int received = 0;
  sigwait(&stop_signals, &received);
  proxy.stop();
  std::filesystem::remove(router_pid_file(data_dir), ec);
  spdlog::info("router stopped");
  return 0;
}

}  // namespace slipway::router
