#include "addons/postgres/instance.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <system_error>
#include <thread>

#include "common/fs.h"
#include "common/ids.h"

namespace slipway::addons::postgres {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// sockaddr_un's sun_path holds 107 bytes; the socket is <run dir>/.s.PGSQL.<port>.
constexpr std::size_t kMaxSocketDirLength = 107 - 18;

// No trust and no peer anywhere: every connection, local or TCP, proves its password.
constexpr std::string_view kHba =
    "# Written by Slipway: every connection authenticates with SCRAM.\n"
    "local all all scram-sha-256\n"
    "host  all all 127.0.0.1/32 scram-sha-256\n"
    "host  all all ::1/128 scram-sha-256\n";

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

Result<unsigned short> free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::kInternal, "cannot open a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) return make_error(ErrorCode::kInternal, "cannot find a free loopback port");
  return ntohs(addr.sin_port);
}

// The rename of data.initdb into place must survive a crash too.
void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

bool is_postgres(pid_t pid) {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return !ec && exe.filename() == "postgres";
}

}  // namespace

Instance::Instance(InstanceConfig config, std::optional<RunAs> runner)
    : config_(std::move(config)), runner_(runner) {
  if (auto text = read_file(config_.dir / "port"); text.ok()) {
    port_ = static_cast<unsigned short>(std::strtoul(trim(*text).c_str(), nullptr, 10));
  }
}

bool Instance::initialized() const {
  std::error_code ec;
  return fs::exists(data_dir() / "PG_VERSION", ec);
}

unsigned short Instance::port() const { return port_; }

ConnectParams Instance::ping_params() const {
  ConnectParams params;
  params.set("host", "127.0.0.1")
      .set("port", std::to_string(port_.load()))
      .set("dbname", "postgres");
  return params;
}

bool Instance::healthy() const { return port_ != 0 && server_accepts(ping_params()); }

Result<ConnectParams> Instance::admin_params(const std::string& dbname) const {
  auto password = read_file(config_.dir / "admin-password");
  if (!password.ok() || port_ == 0) {
    return make_error(ErrorCode::kInternal,
                      "PostgreSQL instance " + config_.dir.string() + " is not initialized");
  }
  ConnectParams params;
  params.set("host", "127.0.0.1")
      .set("port", std::to_string(port_.load()))
      .set("dbname", dbname)
      .set("user", std::string(kAdminUser))
      .set("password", trim(*password))
      .set("sslmode", "disable")
      .set("application_name", "slipway");
  return params;
}

std::optional<pid_t> Instance::postmaster_pid() const {
  std::ifstream in(data_dir() / "postmaster.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  if (!process_alive(static_cast<pid_t>(pid))) return std::nullopt;
  return static_cast<pid_t>(pid);
}

std::string Instance::log_tail() const {
  std::ifstream in(config_.dir / "postgres.log");
  std::string line;
  std::vector<std::string> last;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > 4) last.erase(last.begin());
  }
  std::string out;
  for (const auto& l : last) out += (out.empty() ? "" : " | ") + l;
  return out.empty() ? "(no server log)" : out;
}

Status Instance::init_locked() {
  const fs::path& dir = config_.dir;
  if (auto s = make_directories(dir, 0700); !s) return s;
  if (auto s = hand_to(dir, runner_); !s) return s;
  if (initialized()) return {};
  // The port and password are chosen once; a crash before the rename below reuses them.
  if (port_ == 0) {
    auto port = free_loopback_port();
    if (!port) return port.error();
    if (auto s = write_file_atomic(dir / "port", std::to_string(*port) + "\n", 0600); !s) return s;
    if (auto s = hand_to(dir / "port", runner_); !s) return s;
    port_ = *port;
  }
  const fs::path password_file = dir / "admin-password";
  std::error_code ec;
  if (!fs::exists(password_file, ec)) {
    if (auto s = write_file_atomic(password_file, random_hex(32) + "\n", 0600); !s) return s;
  }
  if (auto s = hand_to(password_file, runner_); !s) return s;

  const fs::path staging = dir / "data.initdb";
  fs::remove_all(staging, ec);  // what an interrupted initdb left
  std::vector<std::string> argv = {(config_.bin_dir / "initdb").string(),
                                   "-D",
                                   staging.string(),
                                   "-U",
                                   std::string(kAdminUser),
                                   "--auth=scram-sha-256",
                                   "--pwfile=" + password_file.string(),
                                   "--encoding=UTF8",
                                   "--locale=C.UTF-8"};
  if (!config_.durable) argv.emplace_back("--no-sync");
  spdlog::info("postgres: initdb {}", staging.string());
  if (auto out = run_program(argv, dir, runner_); !out) return out.error();
  {
    std::ofstream hba(staging / "pg_hba.conf", std::ios::trunc);  // keeps initdb's owner
    hba << kHba;
    std::ofstream conf(staging / "postgresql.conf", std::ios::app);
    conf << "\n# Slipway\nlisten_addresses = '127.0.0.1'\npassword_encryption = 'scram-sha-256'\n";
    if (config_.max_connections) conf << "max_connections = " << *config_.max_connections << "\n";
    if (!hba.flush() || !conf.flush()) {
      return make_error(ErrorCode::kInternal, "cannot configure the new cluster");
    }
  }
  if (::rename(staging.c_str(), data_dir().c_str()) != 0) {
    return make_error(ErrorCode::kInternal,
                      "cannot move the new cluster into " + data_dir().string());
  }
  sync_dir(dir);
  return {};
}

Status Instance::wait_until_up(pid_t pid, Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    if (server_accepts(ping_params())) return {};
    if (!process_alive(pid)) {
      return make_error(ErrorCode::kInternal, "PostgreSQL in " + config_.dir.string() +
                                                  " exited while starting: " + log_tail());
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return make_error(ErrorCode::kInternal, "PostgreSQL in " + config_.dir.string() +
                                              " did not accept connections in time: " + log_tail());
}

Result<std::vector<std::string>> Instance::tls_settings() {
  if (!config_.tls) return std::vector<std::string>{};
  const fs::path dir = config_.dir / "tls";
  if (auto s = make_directories(dir, 0700); !s) return s.error();
  if (auto s = hand_to(dir, runner_); !s) return s.error();
  // PostgreSQL refuses a key that others may read; it gets its own copy, owned by its user.
  for (const auto& [from, to] : {std::pair{config_.tls->chain, dir / "server.crt"},
                                 std::pair{config_.tls->key, dir / "server.key"}}) {
    auto content = read_file(from);
    if (!content) return content.error();
    if (auto s = write_file_atomic(to, *content, 0600); !s) return s.error();
    if (auto s = hand_to(to, runner_); !s) return s.error();
  }
  return std::vector<std::string>{"-c", "ssl=on",
                                  "-c", "ssl_cert_file=" + (dir / "server.crt").string(),
                                  "-c", "ssl_key_file=" + (dir / "server.key").string()};
}

Status Instance::start_locked(Clock::time_point deadline) {
  const fs::path run_dir = config_.dir / "run";
  if (auto s = make_directories(run_dir, 0700); !s) return s;
  if (auto s = hand_to(run_dir, runner_); !s) return s;
  // A socket path too long for sockaddr_un would stop the server; then TCP only.
  const std::string socket_dirs = run_dir.string().size() <= kMaxSocketDirLength &&
                                          run_dir.string().find('"') == std::string::npos
                                      ? "\"" + run_dir.string() + "\""
                                      : "";
  const std::vector<std::string> argv = {
      (config_.bin_dir / "postgres").string(),
      "-D",
      data_dir().string(),
      "-p",
      std::to_string(port_.load()),
      "-h",
      "127.0.0.1",
      "-k",
      socket_dirs,
  };
  std::vector<std::string> args = argv;
  auto tls = tls_settings();
  if (!tls) return tls.error();
  args.insert(args.end(), tls->begin(), tls->end());
  if (!config_.durable) {
    for (const char* setting : {"fsync=off", "full_page_writes=off"}) {
      args.emplace_back("-c");
      args.emplace_back(setting);
    }
  }
  if (config_.max_connections) {
    args.emplace_back("-c");
    args.emplace_back("max_connections=" + std::to_string(*config_.max_connections));
  }
  // Plan changes stream the data out with logical replication while the app keeps running.
  args.emplace_back("-c");
  args.emplace_back("wal_level=logical");
  // Just after a SIGKILL the old server's backends may still hold its shared memory for a
  // moment, and the new postmaster exits at once; try again until the deadline.
  Status last = make_error(ErrorCode::kInternal, "PostgreSQL did not start");
  while (Clock::now() < deadline) {
    auto pid = spawn_daemon(args, config_.dir, config_.dir / "postgres.log", runner_);
    if (!pid) return pid.error();
    spdlog::info("postgres: started {} (pid {}, port {})", config_.dir.string(), *pid,
                 port_.load());
    last = wait_until_up(*pid, deadline);
    if (last.ok() || process_alive(*pid)) return last;
    std::this_thread::sleep_for(milliseconds(500));
  }
  return last;
}

Status Instance::ensure_locked() {
  if (auto s = init_locked(); !s) return s;
  if (healthy()) return {};
  const auto deadline = Clock::now() + config_.start_timeout;
  if (const auto pid = postmaster_pid(); pid && is_postgres(*pid)) {
    // One is starting or recovering (adopted after a control-plane restart): wait for it.
    if (wait_until_up(*pid, deadline).ok()) return {};
    if (process_alive(*pid)) {
      return make_error(ErrorCode::kInternal, "PostgreSQL in " + config_.dir.string() +
                                                  " runs but does not accept connections");
    }
  }
  return start_locked(deadline);
}

Status Instance::ensure_running() {
  const std::lock_guard lock(mu_);
  wanted_ = true;
  return ensure_locked();
}

Status Instance::supervise() {
  const std::lock_guard lock(mu_);
  if (!wanted_ || healthy()) return {};
  spdlog::warn("postgres: {} is not answering; starting it again", config_.dir.string());
  return ensure_locked();
}

Status Instance::stop_locked() {
  wanted_ = false;
  const auto pid = postmaster_pid();
  if (!pid || !is_postgres(*pid)) return {};
  ::kill(*pid, SIGINT);  // fast shutdown: roll back open transactions, checkpoint, exit
  for (const auto& [signal, wait] :
       {std::pair{0, milliseconds(30000)}, std::pair{SIGQUIT, milliseconds(5000)}}) {
    if (signal != 0) ::kill(*pid, signal);
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      if (!process_alive(*pid)) return {};
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  return make_error(ErrorCode::kInternal,
                    "PostgreSQL in " + config_.dir.string() + " did not stop");
}

Status Instance::stop() {
  const std::lock_guard lock(mu_);
  return stop_locked();
}

}  // namespace slipway::addons::postgres
