#include "build/push_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/crypto.h"
#include "common/ids.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

std::string errno_message(int err) {
  return std::error_code(err, std::generic_category()).message();
}

void set_timeout(int fd, int option, std::chrono::seconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

// Reads frames until the hook's request arrives.
Result<Frame> read_request(int fd) {
  FrameReader reader;
  std::array<char, 4096> buffer{};
  for (;;) {
    auto frame = reader.next();
    if (!frame) return frame.error();
    if (*frame) {
      if ((*frame)->type != FrameType::kPush) {
        return make_error(ErrorCode::kBadRequest, "push channel: expected the push request");
      }
      return std::move(**frame);
    }
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(ErrorCode::kBadRequest, "push channel: no request");
    reader.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
}

}  // namespace

PushListener::PushListener(PushListenerOptions options, PushHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

PushListener::~PushListener() { stop(); }

Status PushListener::start() {
  std::error_code ec;
  const fs::path dir = options_.socket_path.parent_path();
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  fs::create_directories(options_.archive_dir, ec);
  fs::permissions(options_.archive_dir, fs::perms::owner_all, ec);
  // Archives left by hooks that were killed: nothing refers to them any more.
  for (const auto& entry : fs::directory_iterator(options_.archive_dir, ec)) {
    std::error_code ignored;
    fs::remove(entry.path(), ignored);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = options_.socket_path.string();
  if (path.size() >= sizeof addr.sun_path) {
    return make_error(ErrorCode::kInternal, "the push socket path " + path +
                                                " is too long for a Unix socket (" +
                                                std::to_string(sizeof addr.sun_path - 1) +
                                                " bytes at most); use a shorter --data-dir");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return make_error(ErrorCode::kInternal, "socket: " + errno_message(errno));
  ::unlink(path.c_str());  // a stale socket of a previous run
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::chmod(path.c_str(), 0600) != 0 || ::listen(listen_fd_, 16) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    return make_error(ErrorCode::kInternal, "cannot listen on " + path + ": " + errno_message(err));
  }
  if (::pipe2(wake_fds_.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    return make_error(ErrorCode::kInternal, "pipe: " + errno_message(err));
  }
  acceptor_ = std::thread([this] { accept_loop(); });
  return {};
}

void PushListener::stop() {
  if (!acceptor_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  acceptor_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  ::unlink(options_.socket_path.c_str());
  std::vector<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  // Handlers are told to give up; hooks see their connection end (and reject the push).
  for (auto& c : connections) {
    c->interrupted = true;
    ::shutdown(c->fd, SHUT_RDWR);
  }
  for (auto& c : connections) {
    c->thread.join();
    ::close(c->fd);
  }
  for (int& fd : wake_fds_) {
    ::close(fd);
    fd = -1;
  }
}

std::string PushListener::issue_token(const std::string& app_id, const std::string& account_id) {
  std::string token = random_hex(32);
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(tokens_, [now](const auto& entry) { return entry.second.expires <= now; });
  tokens_[sha256_hex(token)] = Grant{app_id, account_id, now + options_.token_lifetime};
  return token;
}

void PushListener::revoke_token(const std::string& token) {
  std::lock_guard lock(mutex_);
  tokens_.erase(sha256_hex(token));
}

bool PushListener::redeem(const std::string& token, const std::string& app_id,
                          const std::string& account_id) {
  std::lock_guard lock(mutex_);
  const auto it = tokens_.find(sha256_hex(token));
  if (it == tokens_.end()) return false;
  const Grant grant = it->second;
  tokens_.erase(it);
  return grant.expires > std::chrono::steady_clock::now() && grant.app_id == app_id &&
         grant.account_id == account_id;
}

Result<PushRequest> PushListener::check(const PushMessage& message) {
  if (!redeem(message.token, message.push.app_id, message.push.account_id)) {
    return make_error(ErrorCode::kUnauthorized,
                      "This push was not authorized, or its authorization was already used or "
                      "has expired. Push again.");
  }
  const fs::path& archive = message.push.archive;
  struct stat st {};
  if (archive.parent_path() != options_.archive_dir || ::lstat(archive.c_str(), &st) != 0 ||
      !S_ISREG(st.st_mode)) {
    return make_error(ErrorCode::kBadRequest, "The pushed source archive is missing.");
  }
  return message.push;
}

void PushListener::wake() {
  const char byte = 'x';
  (void)!::write(wake_fds_[1], &byte, 1);  // a full pipe is already awake
}

void PushListener::accept_loop() {
  while (poll_once()) reap_finished();
}

bool PushListener::poll_once() {
  std::vector<pollfd> fds{pollfd{listen_fd_, POLLIN, 0}, pollfd{wake_fds_[0], POLLIN, 0}};
  std::vector<Connection*> watched;  // stay valid: only this thread removes connections
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    for (const auto& c : connections_) {
      if (c->watched && !c->interrupted) {
        fds.push_back(pollfd{c->fd, POLLIN | POLLRDHUP, 0});
        watched.push_back(c.get());
      }
    }
  }
  const int ready = ::poll(fds.data(), fds.size(), 1000);
  if (ready < 0 && errno != EINTR) return false;
  if (ready <= 0) return true;
  if (fds[1].revents != 0) {
    std::array<char, 64> drained{};
    (void)!::read(wake_fds_[0], drained.data(), drained.size());
  }
  for (std::size_t i = 0; i < watched.size(); ++i) {
    // The hook sends nothing after its request: anything to read, EOF or hang-up is its end.
    if (fds[i + 2].revents != 0) watched[i]->interrupted = true;
  }
  if ((fds[0].revents & POLLIN) == 0) return true;
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return true;
  std::lock_guard lock(mutex_);
  if (stopping_) {
    ::close(fd);
    return false;
  }
  auto connection = std::make_unique<Connection>();
  connection->fd = fd;
  Connection* c = connection.get();
  connection->thread = std::thread([this, c] {
    serve(*c);
    // The hook sees the end now; the descriptor is closed once the thread is joined.
    ::shutdown(c->fd, SHUT_RDWR);
    std::lock_guard done_lock(mutex_);
    c->done = true;
  });
  connections_.push_back(std::move(connection));
  return true;
}

void PushListener::reap_finished() {
  std::vector<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) {
    c->thread.join();
    ::close(c->fd);
  }
}

void PushListener::serve(Connection& connection) {
  const int fd = connection.fd;
  set_timeout(fd, SO_RCVTIMEO, options_.request_timeout);
  set_timeout(fd, SO_SNDTIMEO, std::chrono::seconds(60));
  bool gone = false;
  const PushOutput output = [fd, &gone, &connection](std::string_view text) {
    while (!gone && !text.empty()) {
      const std::string_view piece = text.substr(0, kMaxFramePayload);
      text.remove_prefix(piece.size());
      gone = !send_frame(fd, FrameType::kOutput, piece);
    }
    if (gone) connection.interrupted = true;
  };
  const auto finish = [&](int status) {
    if (!gone) send_frame(fd, FrameType::kExit, encode_exit_status(status));
  };
  auto frame = read_request(fd);
  if (!frame) {
    spdlog::warn("push channel: {}", frame.error().message);
    return;
  }
  auto message = parse_push_message(frame->payload);
  if (!message) {
    spdlog::warn("push channel: {}", message.error().message);
    output(" !     Slipway could not read this push's request.\n");
    finish(1);
    return;
  }
  auto push = check(*message);
  if (!push) {
    spdlog::warn("push channel: refused a push to app {}: {}", message->push.app_id,
                 push.error().message);
    output(" !     " + push.error().message + "\n");
    finish(1);
    return;
  }
  int status = 1;
  connection.watched = true;
  wake();  // the acceptor adds it to what it polls now, not in a second
  try {
    status = handler_(*push, output, connection.interrupted);
  } catch (const std::exception& e) {
    spdlog::error("push handler for app {} failed: {}", push->app_id, e.what());
    output(" !     Internal error while processing the push.\n");
    status = 1;
  }
  connection.watched = false;
  finish(status);
}

}  // namespace slipway::build
