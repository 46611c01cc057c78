#include "logs/app_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

namespace slipway::logs {

namespace fs = std::filesystem;

fs::path app_log_file(const fs::path& data_dir, const std::string& app_id) {
  return data_dir / "logs" / (app_id + ".log");
}

std::string heroku_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%.*s.%06lld+00:00", static_cast<int>(n), buf,
                static_cast<long long>(micros));
  return out;
}

void append_line(const fs::path& data_dir, const std::string& app_id, std::string_view source,
                 std::string_view process, std::string_view text) {
  const fs::path file = app_log_file(data_dir, app_id);
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (const auto size = fs::file_size(file, ec); !ec && size > kRotateBytes) {
    fs::rename(file, fs::path(file.string() + ".1"), ec);
  }
  std::string lines;
  const std::string prefix =
      heroku_timestamp() + " " + std::string(source) + "[" + std::string(process) + "]: ";
  while (true) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines += prefix;
    lines += line;
    lines += '\n';
    if (nl == std::string_view::npos || nl + 1 == text.size()) break;
    text.remove_prefix(nl + 1);
  }
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const ssize_t written = ::write(fd, lines.data(), lines.size());
  (void)written;  // a lost log line must never fail the caller
  ::close(fd);
}

}  // namespace slipway::logs
