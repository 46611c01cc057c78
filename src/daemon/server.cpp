#include "daemon/server.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <thread>

#include "api/api_service.h"
#include "api/https_server.h"
#include "common/fs.h"
#include "daemon/bootstrap.h"
#include "daemon/data_plane.h"
#include "daemon/instructions.h"
#include "daemon/build_service.h"
#include "daemon/runtime_sync.h"
#include "daemon/tls_material.h"
#include "router/router_main.h"
#include "runtime/agent.h"
#include "runtime/isolation.h"
#include "store/blob_store.h"
#include "store/store.h"

namespace slipway::daemon {
namespace {

namespace fs = std::filesystem;

// The host users type: loopback and wildcard binds are reached as "localhost", which is also
// what the heroku CLI requires before it sends credentials to a non-Heroku host.
std::string public_host(const std::string& bound_host) {
  if (bound_host == "127.0.0.1" || bound_host == "0.0.0.0" || bound_host == "::1" ||
      bound_host == "::") {
    return "localhost";
  }
  return bound_host;
}

// Wildcards only match under a name of two or more labels (TLS clients refuse "*.localhost"),
// so "*.<domain>" is added only for such domains.
std::vector<std::string> certificate_names(const std::string& api_host, const std::string& domain) {
  std::vector<std::string> names{"localhost", "127.0.0.1", "::1", api_host, domain};
  if (domain.find('.') != std::string::npos) names.push_back("*." + domain);
  std::vector<std::string> unique;
  for (const auto& name : names) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end() && name != "0.0.0.0" &&
        name != "::") {
      unique.push_back(name);
    }
  }
  return unique;
}

int fail(const std::string& message) {
  std::cerr << "slipway server: " << message << "\n";
  return 1;
}

// Blocks until SIGINT or SIGTERM. The signals are blocked in every thread (see run_server), so
// they are delivered here and nowhere else.
int wait_for_stop_signal(const sigset_t& signals) {
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

}  // namespace

int run_server(const ServerOptions& options) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto api_addr = parse_host_port(options.api_listen);
  if (!api_addr) return fail("--api-listen: " + api_addr.error().message);
  auto router_addr = parse_host_port(options.router_listen);
  if (!router_addr) return fail("--router-listen: " + router_addr.error().message);

  // Everything this process (and the agent and router it starts) creates is private unless it
  // says otherwise: the data dir holds every app's secrets (see runtime/isolation.h).
  ::umask(077);
  std::error_code ec;
  fs::create_directories(options.data_dir, ec);
  if (ec) return fail("cannot create data dir " + options.data_dir.string() + ": " + ec.message());
  const fs::path data_dir = fs::absolute(options.data_dir);
  runtime::secure_data_dir(data_dir);  // also fixes a data dir made by an older Slipway
  runtime::log_isolation_status(data_dir);

  auto store = store::Store::open(data_dir / "slipway.db");
  if (!store) return fail(store.error().message);
  // Builds and release phases run inside this process: any left pending ended with it.
  if (auto interrupted = (*store)->fail_interrupted_work(); interrupted && *interrupted > 0) {
    spdlog::warn("{} build(s) or release phase(s) were interrupted by a restart: marked failed",
                 *interrupted);
  }
  auto admin = ensure_admin(**store, data_dir, options.admin_email);
  if (!admin) return fail(admin.error().message);
  auto tls = ensure_tls_material(data_dir / "tls",
                                 certificate_names(public_host(api_addr->host), options.domain));
  if (!tls) return fail(tls.error().message);

  api::ApiSettings settings;
  settings.apps_domain = options.domain;
  settings.router_port = router_addr->port;
  settings.data_dir = data_dir;
  store::BlobStore blobs(data_dir / "blobs");
  // The data plane first: the agent keeps dynos running on the desired-state files, whatever
  // happens to this process; an agent left running by a previous server is adopted.
  RuntimeSync runtime_sync(**store, runtime::Paths(data_dir));
  runtime_sync.sync_all();
  const fs::path executable = fs::read_symlink("/proc/self/exe", ec);
  auto agent =
      ensure_running(executable, DataPlaneProcess{"runtime agent",
                                                  {"agent", "--data-dir", data_dir.string()},
                                                  runtime::agent_pid_file(data_dir),
                                                  data_dir / "logs" / "agent.log"});
  if (!agent) return fail(agent.error().message);
  spdlog::info("runtime agent {} (pid {})", agent->second ? "adopted" : "started", agent->first);
  auto router = ensure_running(
      executable, DataPlaneProcess{"router",
                                   {"router", "--data-dir", data_dir.string(), "--listen",
                                    options.router_listen, "--domain", options.domain},
                                   router::router_pid_file(data_dir),
                                   data_dir / "logs" / "router.log"});
  if (!router) {
    stop_process(agent->first, options.stop_grace + std::chrono::seconds(5));
    return fail(router.error().message);
  }
  spdlog::info("router {} (pid {})", router->second ? "adopted" : "started", router->first);

  BuildSettings build_settings;
  build_settings.data_dir = data_dir;
  build_settings.builtin_buildpacks_dir = options.buildpacks_dir;
  build_settings.app_url_template =
      "http://{app}." + options.domain + ":" + std::to_string(router_addr->port) + "/";
  BuildService builds(**store, blobs, runtime_sync, build_settings);
  api::ApiService api_service(**store, blobs, runtime_sync, builds, settings);
  api::HttpsServer server(
      [&api_service](const api::Request& r, const std::optional<fs::path>& body_file) {
        return api_service.handle(r, body_file);
      },
      [&api_service](const api::Request& header) { return api_service.upload_target(header); },
      api::ServerLimits{});
  if (auto s = server.load_tls({tls->server_chain, tls->server_key}); !s) {
    return fail(s.error().message);
  }
  auto bound = server.listen(api_addr->host, api_addr->port);
  if (!bound) return fail(bound.error().message);

  // The real address is known only now (port 0 picks one); API settings follow it.
  const std::string host_port = public_host(api_addr->host) + ":" + std::to_string(bound->port());
  api_service.set_public_address("https://" + host_port, host_port);
  if (auto s = write_file_atomic(data_dir / "api-url", "https://" + host_port + "\n"); !s) {
    return fail(s.error().message);
  }
  server.start(std::max(2U, std::thread::hardware_concurrency()));

  ConnectionInfo info{
      "https://" + host_port,
      public_host(api_addr->host),
      fs::absolute(tls->ca_certificate),
      admin->token_file,
      admin->new_token,
      "http://<app>." + options.domain + ":" + std::to_string(router_addr->port) + "/"};
  std::cout << connection_instructions(info) << std::flush;
  spdlog::info("api listening on https://{}", host_port);

  const int signal = wait_for_stop_signal(stop_signals);
  spdlog::info("received signal {}, stopping", signal);
  server.stop();
  // Stopping on purpose stops the data plane too; the agent gives dynos their grace period.
  stop_process(router->first, std::chrono::seconds(5));
  stop_process(agent->first, options.stop_grace + std::chrono::seconds(5));
  return 0;
}

}  // namespace slipway::daemon
