#include "build/git_hook.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <istream>
#include <iterator>
#include <ostream>

#include "build/child_process.h"
#include "build/push_protocol.h"
#include "common/ids.h"

namespace slipway::build {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMain = "refs/heads/main";
constexpr std::string_view kMaster = "refs/heads/master";

Error rejected(std::string message) {
  return make_error(ErrorCode::kInvalidParams, std::move(message));
}

std::string short_name(std::string_view ref) {
  if (ref.starts_with("refs/heads/")) ref.remove_prefix(11);
  return std::string(ref);
}

void say(std::ostream& out, std::string_view message) {
  std::string_view rest = message;
  while (!rest.empty()) {
    const auto newline = rest.find('\n');
    out << " !     " << rest.substr(0, newline) << "\n";
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  out.flush();
}

// Removes the archive when the hook is done with it, whatever happened.
struct ArchiveFile {
  fs::path path;
  ArchiveFile() = default;
  ArchiveFile(const ArchiveFile&) = delete;
  ArchiveFile& operator=(const ArchiveFile&) = delete;
  ~ArchiveFile() {
    std::error_code ignored;
    if (!path.empty()) fs::remove(path, ignored);
  }
};

int connect_to(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return -1;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends the push and relays output frames until the exit status arrives.
Result<int> exchange(int fd, const PushMessage& message, std::ostream& out) {
  if (!send_frame(fd, FrameType::kPush, encode_push_message(message))) {
    return make_error(ErrorCode::kInternal, "Could not send the push to Slipway.");
  }
  FrameReader reader;
  std::array<char, 16384> buffer{};
  for (;;) {
    auto frame = reader.next();
    if (!frame) return frame.error();
    if (*frame) {
      if ((*frame)->type == FrameType::kOutput) {
        out << (*frame)->payload;
        out.flush();
        continue;
      }
      if ((*frame)->type == FrameType::kExit) return parse_exit_status((*frame)->payload);
      return make_error(ErrorCode::kBadRequest, "Slipway answered with an unexpected message.");
    }
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return make_error(ErrorCode::kInternal, "Lost the connection to Slipway before it answered.");
    }
    reader.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
  }
}

}  // namespace

Result<std::vector<RefUpdate>> parse_ref_updates(std::string_view input) {
  std::vector<RefUpdate> updates;
  while (!input.empty()) {
    const auto newline = input.find('\n');
    const std::string_view line = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    if (line.empty()) continue;
    const auto first = line.find(' ');
    const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos) return rejected("git sent a malformed ref update.");
    RefUpdate u{std::string(line.substr(0, first)),
                std::string(line.substr(first + 1, second - first - 1)),
                std::string(line.substr(second + 1))};
    if (!is_object_id(u.old_sha) || !is_object_id(u.new_sha) || u.ref.empty()) {
      return rejected("git sent a malformed ref update.");
    }
    updates.push_back(std::move(u));
  }
  return updates;
}

Result<RefUpdate> choose_deployable_update(const std::vector<RefUpdate>& updates) {
  if (updates.empty()) return rejected("Nothing was pushed.");
  for (const auto& u : updates) {
    if (u.ref == kMain || u.ref == kMaster) continue;
    if (u.ref.starts_with("refs/heads/")) {
      const std::string branch = short_name(u.ref);
      std::string message = "Pushing to the branch `" + branch;
      message += "` is not supported: Slipway builds and deploys only main (or master).\n";
      message += "Deploy this branch with: git push heroku " + branch + ":main";
      return rejected(std::move(message));
    }
    return rejected("Pushing " + u.ref +
                    " is not supported: Slipway builds and deploys only the main (or master) "
                    "branch.");
  }
  if (updates.size() > 1) {
    return rejected("Push main or master, not both at once: Slipway deploys one of them.");
  }
  if (is_null_object_id(updates.front().new_sha)) {
    return rejected("Deleting the `" + short_name(updates.front().ref) +
                    "` branch is not allowed: it holds what the app deploys.");
  }
  return updates.front();
}

int run_git_hook(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, std::istream& in,
                 std::ostream& out) {
  if (args.size() != 1 || args.front() != "pre-receive") {
    out << "usage: slipway git-hook pre-receive (run by git, not by hand)\n";
    return 2;
  }
  const std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto updates = parse_ref_updates(input);
  if (!updates) {
    say(out, updates.error().message);
    return 1;
  }
  auto update = choose_deployable_update(*updates);
  if (!update) {
    say(out, update.error().message);
    return 1;
  }
  const auto var = [&env](const char* name) -> std::string {
    const auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  };
  PushMessage message;
  message.token = var(kPushTokenEnv);
  message.push.app_id = var(kPushAppEnv);
  message.push.account_id = var(kPushAccountEnv);
  message.push.ref = update->ref;
  message.push.old_sha = update->old_sha;
  message.push.new_sha = update->new_sha;
  const std::string socket = var(kPushSocketEnv);
  const std::string archive_dir = var(kPushArchiveDirEnv);
  if (message.token.empty() || message.push.app_id.empty() || socket.empty() ||
      archive_dir.empty()) {
    say(out, "This repository takes pushes only through Slipway's git server (git push heroku).");
    return 1;
  }

  ArchiveFile archive;
  archive.path = fs::path(archive_dir) / (random_hex(16) + ".tar.gz");
  message.push.archive = archive.path;
  ChildSpec spec;
  spec.argv = {"git", "archive", "--format=tar.gz", "-o", archive.path.string(), update->new_sha};
  spec.env = env;  // git's own variables: the quarantined objects are visible through them
  auto archived = run_child(spec);
  if (!archived || archived->exit_code != 0) {
    say(out, "Could not export the pushed commit: " +
                 (archived ? archived->output : archived.error().message));
    return 1;
  }

  const int fd = connect_to(socket);
  if (fd < 0) {
    say(out,
        "Slipway is not accepting pushes right now (its control plane is not reachable). "
        "Try again.");
    return 1;
  }
  auto status = exchange(fd, message, out);
  ::close(fd);
  if (!status) {
    say(out, status.error().message + " The push was not deployed.");
    return 1;
  }
  return *status;
}

}  // namespace slipway::build
