#include "daemon/server.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <set>
#include <thread>

#include "api/api_service.h"
#include "api/https_server.h"
#include "build/git_repos.h"
#include "build/push_listener.h"
#include "common/fs.h"
#include "daemon/addon_service.h"
#include "daemon/backup_scheduler.h"
#include "daemon/bootstrap.h"
#include "daemon/build_service.h"
#include "daemon/data_plane.h"
#include "daemon/git_service.h"
#include "daemon/instructions.h"
#include "daemon/postgres_provider.h"
#include "daemon/release_service.h"
#include "daemon/runtime_sync.h"
#include "daemon/tls_material.h"
#include "daemon/transfer_service.h"
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

// A push of main or master: built, released (release phase included) and running before git
// updates the ref; output streams to the pusher. Non-zero rejects the push. A pusher who goes
// away cancels the build: git will not update the ref, so nothing may be released.
build::PushHandler push_handler(store::Store& store, BuildService& builds,
                                const std::shared_ptr<std::string>& git_url_base) {
  return [&store, &builds, git_url_base](const build::PushRequest& push,
                                         const build::PushOutput& output,
                                         const std::atomic<bool>& interrupted) {
    auto app = store.find_app(push.app_id);
    auto account = store.find_account(push.account_id);
    if (!app || !account) {
      output(" !     This app no longer exists.\n");
      return 1;
    }
    api::BuildRequest request{*git_url_base + "/" + app->name + ".git", push.archive, push.new_sha,
                              std::nullopt, std::nullopt};
    auto outcome = builds.build_now(*app, *account, request, output, &interrupted);
    if (!outcome) {
      output(" !     " + outcome.error().message + "\n");
      return 1;
    }
    return outcome->deployed ? 0 : 1;
  };
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
  build_settings.max_source_bytes = options.max_push_bytes;
  build_settings.app_url_template =
      "http://{app}." + options.domain + ":" + std::to_string(router_addr->port) + "/";
  // Every release that changes what runs (builds' and the API's) goes through this service,
  // which runs release phases.
  ReleaseService releases(**store, runtime_sync, data_dir);
  BuildService builds(**store, blobs, releases, build_settings);
  // The API's address is known once it listens (port 0 picks one); builds name their source by it.
  auto api_url_holder = std::make_shared<std::string>("https://localhost");

  // git over HTTPS: the apps' repositories, and the channel their pre-receive hooks use to hand
  // each push to the control plane, which builds and releases it inside the push.
  build::GitRepos git_repos(data_dir / "git", executable);
  if (auto apps = (*store)->list_apps(std::nullopt)) {
    std::set<std::string> ids;
    for (const auto& app : *apps) ids.insert(app.id);
    git_repos.remove_all_but(ids);  // of apps whose destruction was cut short by a crash
  }
  build::PushListener pushes(
      build::PushListenerOptions{data_dir / "run" / "push.sock", data_dir / "git" / "pushes"},
      push_handler(**store, builds, api_url_holder));
  if (auto s = pushes.start(); !s) return fail(s.error().message);
  GitService git_service(git_repos, pushes);
  settings.max_push_bytes = options.max_push_bytes;

  // Add-ons: the Postgres engine's servers outlive a crash of this process and are adopted
  // by the next start; the worker provisions in the background.
  addons::postgres::EngineOptions engine_options;
  engine_options.data_dir = data_dir;
  // Its own key under the installation's CA: apps connect to "localhost" (DATABASE_URL).
  auto postgres_tls = ensure_tls_material(data_dir / "tls", {"localhost", "127.0.0.1"}, "postgres");
  if (!postgres_tls) return fail(postgres_tls.error().message);
  engine_options.tls =
      addons::postgres::TlsFiles{postgres_tls->server_chain, postgres_tls->server_key};
  engine_options.bin_dir = options.postgres_bin_dir;
  if (!options.postgres_admin_url.empty()) {
    engine_options.shared_server_url = options.postgres_admin_url;
  }
  auto engine = addons::postgres::Engine::open(engine_options);
  if (!engine) return fail(engine.error().message);
  auto postgres_provider = std::make_unique<PostgresProvider>(std::move(*engine));
  PostgresProvider& postgres = *postgres_provider;
  std::vector<std::unique_ptr<AddonProvider>> providers;
  providers.push_back(std::move(postgres_provider));
  // Before the worker that uses it, so that it outlives that worker.
  PlanChanges plan_changes(**store, releases, runtime_sync, PlanChangeSettings{});
  plan_changes.add_mover(std::string(addons::postgres::kServiceName), postgres);
  AddonService addons(**store, releases, std::move(providers), AddonServiceSettings{});
  addons.set_plan_changes(&plan_changes);
  addons.start();
  // PGBackups: backups, restores and copies run on their own workers.
  TransferSettings transfer_settings;
  transfer_settings.data_dir = data_dir;
  transfer_settings.bin_dir = options.postgres_bin_dir;
  transfer_settings.api_url = api_url_holder;
  transfer_settings.disk_reserve_bytes = options.transfer_disk_reserve;
  transfer_settings.split_table_bytes = options.restore_split_table_size;
  TransferService transfers(**store, blobs, postgres, transfer_settings);
  transfers.start();
  // Backup schedules: a due schedule takes a backup (named aNNN, kept apart from manual ones).
  BackupScheduler backup_scheduler(
      **store,
      [&transfers](const store::Addon& addon, const std::string& schedule_name) -> Status {
        auto started = transfers.capture(addon, schedule_name);
        if (!started) return started.error();
        return {};
      },
      BackupSchedulerSettings{});
  backup_scheduler.start();

  api::ApiService api_service(**store, blobs, runtime_sync, builds, releases, addons, postgres,
                              transfers, git_service, settings);
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
  *api_url_holder = "https://" + host_port;
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
  // Running builds are cancelled, not awaited: they end failed and release nothing. First, so
  // that the pushes the API's stop cuts off say why.
  builds.cancel_all();
  server.stop();
  releases.stop();  // release phases fail now rather than hold up the stop (pushes wait for them)
  pushes.stop();
  backup_scheduler.stop();  // before the transfers it starts
  transfers.stop();
  addons.stop();
  // Stopping on purpose stops the data plane too; the agent gives dynos their grace period.
  stop_process(router->first, std::chrono::seconds(5));
  stop_process(agent->first, options.stop_grace + std::chrono::seconds(5));
  return 0;
}

}  // namespace slipway::daemon
