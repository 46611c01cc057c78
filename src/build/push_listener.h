// The control plane's end of the push channel (see push_protocol.h). The git server issues a
// one-time token per receive-pack and passes it, with the socket's path, to git in the
// environment; the repository's pre-receive hook (`slipway git-hook pre-receive`) connects,
// presents the token and what was pushed, and relays the handler's output to the pusher as
// "remote:" lines. The handler's return value becomes the hook's exit status: non-zero rejects
// the push.
//
// A hook that goes away (git died: the pusher hit Ctrl-C or lost the connection) interrupts its
// handler: the accepting thread watches each connection while its handler runs and sets the
// handler's `interrupted` flag on EOF or hang-up, as does a failed write and stop().
//
// Threads: one accepting (and watching), one per connection (the handler runs there, for as
// long as the build takes). The socket is created mode 0600 inside the 0700 data dir.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "build/push_protocol.h"
#include "common/result.h"

namespace slipway::build {

// Sends text to the pusher (git shows each line as "remote: ..."). Safe to call from the
// handler's thread only; once the pusher has gone away it drops the text silently.
using PushOutput = std::function<void(std::string_view)>;
// Decides a push: 0 accepts it (git then updates the ref), anything else rejects it. Runs on the
// connection's thread. The archive is the hook's: it is deleted when the hook exits, so a handler
// that keeps it moves (renames) or copies it during the call. `interrupted` becomes true when
// the pusher went away or the listener stops: the handler should give up (its answer is lost).
using PushHandler = std::function<int(const PushRequest& push, const PushOutput& output,
                                      const std::atomic<bool>& interrupted)>;

struct PushListenerOptions {
  std::filesystem::path socket_path;  // DATA_DIR/run/push.sock
  std::filesystem::path archive_dir;  // where hooks write archives; requests naming others fail
  // Unused tokens stop working after this (a receive-pack revokes its token when it ends).
  std::chrono::seconds token_lifetime{3600};
  std::chrono::seconds request_timeout{30};  // for a connected hook to send its request
};

class PushListener {
 public:
  PushListener(PushListenerOptions options, PushHandler handler);
  ~PushListener();
  PushListener(const PushListener&) = delete;
  PushListener& operator=(const PushListener&) = delete;

  // Binds the socket (replacing a stale one) and starts accepting.
  Status start();
  // Stops accepting, interrupts running handlers, disconnects hooks, and waits for the handlers
  // to return.
  void stop();

  // A new one-time token for one receive-pack of `app_id` by `account_id`.
  std::string issue_token(const std::string& app_id, const std::string& account_id);
  // Withdraws a token (its receive-pack ended); unknown tokens are ignored.
  void revoke_token(const std::string& token);

  const PushListenerOptions& options() const { return options_; }

 private:
  struct Grant {
    std::string app_id;
    std::string account_id;
    std::chrono::steady_clock::time_point expires;
  };
  struct Connection {
    int fd = -1;
    std::thread thread;
    bool done = false;
    std::atomic<bool> interrupted{false};
    std::atomic<bool> watched{false};  // its handler runs: EOF or hang-up interrupts it
  };

  void accept_loop();
  // One poll of the listening socket, the wake pipe and the watched connections; false to stop.
  bool poll_once();
  void serve(Connection& connection);
  void wake();
  // Takes the token out of the table if it is live and grants this app and account.
  bool redeem(const std::string& token, const std::string& app_id, const std::string& account_id);
  Result<PushRequest> check(const PushMessage& message);
  void reap_finished();

  PushListenerOptions options_;
  PushHandler handler_;
  int listen_fd_ = -1;
  std::array<int, 2> wake_fds_{-1, -1};  // wakes the acceptor (to stop, or to watch one more)
  std::thread acceptor_;
  std::mutex mutex_;                     // guards tokens_ and connections_
  std::map<std::string, Grant> tokens_;  // by SHA-256 of the token
  std::vector<std::unique_ptr<Connection>> connections_;
  bool stopping_ = false;
};

}  // namespace slipway::build
