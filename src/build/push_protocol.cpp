#include "build/push_protocol.h"

#include <sys/socket.h>

#include <cerrno>

#include <array>
#include <map>

namespace slipway::build {
namespace {

constexpr std::size_t kHeaderBytes = 5;

bool known_type(char c) {
  return c == static_cast<char>(FrameType::kPush) || c == static_cast<char>(FrameType::kOutput) ||
         c == static_cast<char>(FrameType::kExit);
}

bool is_lower_hex(std::string_view text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_id(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-')) {
      return false;
    }
  }
  return true;
}

bool is_printable(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) return false;
  }
  return true;
}

bool is_ref(std::string_view text) {
  return text.starts_with("refs/") && text.size() > 5 && text.size() <= 1024 && is_printable(text);
}

bool is_archive_path(std::string_view text) {
  if (text.size() < 2 || text.size() > 4096 || text.front() != '/') return false;
  for (const char c : text) {
    if (c == '\0' || c == '\n' || c == '\r') return false;
  }
  std::string_view rest = text;
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the '/'
    const auto slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == ".." || segment == "." || segment.empty()) return false;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash);
  }
  return true;
}

Error invalid(std::string message) {
  return make_error(ErrorCode::kBadRequest, "push message: " + std::move(message));
}

}  // namespace

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderBytes + payload.size());
  out.push_back(static_cast<char>(type));
  const auto size = static_cast<std::uint32_t>(payload.size());
  out.push_back(static_cast<char>((size >> 24) & 0xff));
  out.push_back(static_cast<char>((size >> 16) & 0xff));
  out.push_back(static_cast<char>((size >> 8) & 0xff));
  out.push_back(static_cast<char>(size & 0xff));
  out.append(payload);
  return out;
}

void FrameReader::feed(std::string_view bytes) {
  if (error_) return;
  // Drop what was already consumed before growing, so the buffer stays about one frame long.
  if (offset_ > 0 && offset_ >= buffer_.size() / 2) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
}

Result<std::optional<Frame>> FrameReader::next() {
  if (error_) return *error_;
  const std::string_view pending = std::string_view(buffer_).substr(offset_);
  if (pending.empty()) return std::optional<Frame>{};
  if (!known_type(pending[0])) {
    error_ = make_error(ErrorCode::kBadRequest, "push channel: unknown frame type");
    return *error_;
  }
  if (pending.size() < kHeaderBytes) return std::optional<Frame>{};
  std::uint32_t size = 0;
  for (std::size_t i = 1; i < kHeaderBytes; ++i) {
    size = (size << 8) | static_cast<unsigned char>(pending[i]);
  }
  if (size > kMaxFramePayload) {
    error_ = make_error(ErrorCode::kBadRequest, "push channel: frame too large");
    return *error_;
  }
  if (pending.size() < kHeaderBytes + size) return std::optional<Frame>{};
  Frame frame{static_cast<FrameType>(pending[0]), std::string(pending.substr(kHeaderBytes, size))};
  offset_ += kHeaderBytes + size;
  return std::optional<Frame>{std::move(frame)};
}

bool is_object_id(std::string_view text) {
  return (text.size() == 40 || text.size() == 64) && is_lower_hex(text);
}

bool is_null_object_id(std::string_view text) {
  return is_object_id(text) && text.find_first_not_of('0') == std::string_view::npos;
}

std::string encode_push_message(const PushMessage& message) {
  std::string out;
  const auto add = [&out](std::string_view key, std::string_view value) {
    out.append(key).append("=").append(value).append("\n");
  };
  add("version", "1");
  add("token", message.token);
  add("app", message.push.app_id);
  add("account", message.push.account_id);
  add("ref", message.push.ref);
  add("old", message.push.old_sha);
  add("new", message.push.new_sha);
  add("archive", message.push.archive.string());
  return out;
}

Result<PushMessage> parse_push_message(std::string_view payload) {
  static constexpr std::array<std::string_view, 8> kKeys{"version", "token", "app", "account",
                                                         "ref",     "old",   "new", "archive"};
  std::map<std::string_view, std::string_view> fields;
  while (!payload.empty()) {
    const auto newline = payload.find('\n');
    if (newline == std::string_view::npos) return invalid("a line does not end in a newline");
    const std::string_view line = payload.substr(0, newline);
    payload.remove_prefix(newline + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return invalid("a line is not key=value");
    const std::string_view key = line.substr(0, eq);
    bool known = false;
    for (const auto k : kKeys) known = known || k == key;
    if (!known) return invalid("unknown key");
    if (!fields.emplace(key, line.substr(eq + 1)).second) return invalid("a key is repeated");
  }
  for (const auto k : kKeys) {
    if (fields.count(k) == 0) return invalid("missing " + std::string(k));
  }
  if (fields["version"] != "1") return invalid("unsupported version");
  const std::string_view token = fields["token"];
  if (token.empty() || token.size() > 128 || !is_lower_hex(token)) return invalid("bad token");
  if (!is_id(fields["app"])) return invalid("bad app id");
  if (!is_id(fields["account"])) return invalid("bad account id");
  if (!is_ref(fields["ref"])) return invalid("bad ref");
  if (!is_object_id(fields["old"]) || !is_object_id(fields["new"]) ||
      fields["old"].size() != fields["new"].size()) {
    return invalid("bad object id");
  }
  if (!is_archive_path(fields["archive"])) return invalid("bad archive path");
  PushMessage out;
  out.token = std::string(token);
  out.push.app_id = std::string(fields["app"]);
  out.push.account_id = std::string(fields["account"]);
  out.push.ref = std::string(fields["ref"]);
  out.push.old_sha = std::string(fields["old"]);
  out.push.new_sha = std::string(fields["new"]);
  out.push.archive = std::filesystem::path(std::string(fields["archive"]));
  return out;
}

std::string encode_exit_status(int status) {
  if (status < 0 || status > 255) status = 1;
  return std::to_string(status);
}

Result<int> parse_exit_status(std::string_view payload) {
  if (payload.empty() || payload.size() > 3 || (payload.size() > 1 && payload[0] == '0')) {
    return invalid("bad exit status");
  }
  int value = 0;
  for (const char c : payload) {
    if (c < '0' || c > '9') return invalid("bad exit status");
    value = value * 10 + (c - '0');
  }
  if (value > 255) return invalid("bad exit status");
  return value;
}

bool send_frame(int fd, FrameType type, std::string_view payload) {
  const std::string frame = encode_frame(type, payload);
  std::string_view data = frame;
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace slipway::build
