#include "build/git_http_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <thread>

#include "build/child_process.h"

namespace slipway::build {
namespace {

constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;

bool is_token_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equals_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Error bad_header(const std::string& why) {
  return make_error(ErrorCode::kInternal, "git http-backend sent a bad CGI header: " + why);
}

// Where the header block ends: the offset of its empty line and the offset of the body.
std::optional<std::pair<std::size_t, std::size_t>> header_end(std::string_view data) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] != '\n') continue;
    if (i + 1 < data.size() && data[i + 1] == '\n') return std::pair{i + 1, i + 2};
    if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') {
      return std::pair{i + 1, i + 3};
    }
  }
  return std::nullopt;
}

}  // namespace

Result<CgiHeader> parse_cgi_header(std::string_view block) {
  CgiHeader out;
  bool any = false;
  while (!block.empty()) {
    const auto newline = block.find('\n');
    std::string_view line = block.substr(0, newline);
    block.remove_prefix(newline == std::string_view::npos ? block.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return bad_header("an empty line inside the header");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad_header("a line without a name");
    const std::string_view name = line.substr(0, colon);
    for (const char c : name) {
      if (!is_token_char(c)) return bad_header("a bad field name");
    }
    const std::string_view value = trim(line.substr(colon + 1));
    for (const char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return bad_header("a control character in a value");
      }
    }
    any = true;
    if (equals_ci(name, "Status")) {
      if (value.size() < 3 || value[0] < '1' || value[0] > '5' || value[1] < '0' ||
          value[1] > '9' || value[2] < '0' || value[2] > '9' ||
          (value.size() > 3 && value[3] != ' ')) {
        return bad_header("a bad Status");
      }
      out.status = (value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
      continue;
    }
    out.fields.emplace_back(std::string(name), std::string(value));
  }
  if (!any) return bad_header("no fields");
  return out;
}

Result<std::unique_ptr<GitHttpBackend>> GitHttpBackend::start(
    const std::filesystem::path& project_root, const GitHttpCall& call) {
  ChildSpec spec;
  spec.argv = {"git", "http-backend"};
  spec.env = isolated_git_environment();
  auto& env = spec.env;
  env["GATEWAY_INTERFACE"] = "CGI/1.1";
  env["SERVER_PROTOCOL"] = "HTTP/1.1";
  env["REQUEST_METHOD"] = call.method;
  env["GIT_PROJECT_ROOT"] = project_root.string();
  env["GIT_HTTP_EXPORT_ALL"] = "1";
  env["PATH_INFO"] = "/" + call.repository + "/" + call.path;
  env["QUERY_STRING"] = call.query;
  if (!call.content_type.empty()) env["CONTENT_TYPE"] = call.content_type;
  if (!call.content_encoding.empty()) env["HTTP_CONTENT_ENCODING"] = call.content_encoding;
  if (!call.git_protocol.empty()) env["HTTP_GIT_PROTOCOL"] = call.git_protocol;
  if (!call.remote_user.empty()) {
    env["REMOTE_USER"] = call.remote_user;
    env["GIT_COMMITTER_NAME"] = call.remote_user;
    env["GIT_COMMITTER_EMAIL"] = call.remote_user;
  }
  if (call.body_file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(*call.body_file, ec);
    if (ec) return make_error(ErrorCode::kInternal, "cannot read the request body");
    env["CONTENT_LENGTH"] = std::to_string(size);
    spec.stdin_file = call.body_file;
  }
  for (const auto& [key, value] : call.extra_env) env[key] = value;
  spec.cwd = project_root;
  spec.merge_stderr = false;  // http-backend's own complaints go to the control plane's log
  spec.own_process_group = true;
  auto child = spawn_child(spec);
  if (!child) return child.error();
  return std::unique_ptr<GitHttpBackend>(new GitHttpBackend(child->pid, child->stdout_fd));
}

GitHttpBackend::~GitHttpBackend() {
  if (fd_ >= 0) ::close(fd_);
  if (!ended_) ::kill(-pid_, SIGKILL);
  int status = 0;
  // After the end of its output http-backend is exiting; a few seconds' grace, then the kill.
  for (int i = 0; i < 300; ++i) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid_, SIGKILL);
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

Result<CgiHeader> GitHttpBackend::read_header(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string data;
  std::array<char, 4096> buffer{};
  for (;;) {
    if (const auto end = header_end(data)) {
      auto header = parse_cgi_header(std::string_view(data).substr(0, end->first));
      pending_ = data.substr(end->second);
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
      return header;
    }
    if (data.size() > kMaxHeaderBytes) return bad_header("too long");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return make_error(ErrorCode::kInternal, "git http-backend did not answer in time");
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ended_ = true;
      return make_error(ErrorCode::kInternal, "git http-backend ended without a response");
    }
    data.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

std::optional<std::string> GitHttpBackend::read_body() {
  if (!pending_.empty()) return std::exchange(pending_, {});
  if (ended_) return std::nullopt;
  std::string out(kReadChunk, '\0');
  for (;;) {
    const ssize_t n = ::read(fd_, out.data(), out.size());
    if (n > 0) {
      out.resize(static_cast<std::size_t>(n));
      return out;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::string{};
    ended_ = true;
    return std::nullopt;
  }
}

}  // namespace slipway::build
