#include "logs/app_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>

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

namespace {

// Open log files, kept across calls: opening, stat-ing and closing per line was a fifth of the
// router's CPU (bench/README.md). Each thread has its own (no lock on the request path; O_APPEND
// keeps every line whole). Other threads and processes append to (and rotate) the same files, so
// a cached descriptor is re-checked against the path's inode at most once a second.
class OpenLogFiles {
 public:
  OpenLogFiles() = default;
  OpenLogFiles(const OpenLogFiles&) = delete;
  OpenLogFiles& operator=(const OpenLogFiles&) = delete;
  ~OpenLogFiles() {
    for (auto& [path, e] : entries_) close(e);
  }

  void write(const fs::path& file, const std::string& lines) {
    Entry& e = entries_[file.string()];
    const auto now = std::chrono::steady_clock::now();
    if (e.fd >= 0 && now - e.checked > std::chrono::seconds(1)) {
      struct stat by_path {};
      if (::stat(file.c_str(), &by_path) != 0 || by_path.st_ino != e.inode) {
        close(e);
      } else {
        e.size = static_cast<std::size_t>(by_path.st_size);  // other writers' lines count too
      }
      e.checked = now;
    }
    if (e.fd < 0 && !open(file, e)) return;
    if (e.size > kRotateBytes) {
      // Only the file this descriptor writes, and only if it really is too big: another writer
      // may have rotated it already, and renaming its fresh file would lose the .1 it made.
      struct stat by_path {};
      if (::stat(file.c_str(), &by_path) == 0 && by_path.st_ino == e.inode &&
          static_cast<std::size_t>(by_path.st_size) > kRotateBytes) {
        std::error_code ec;
        fs::rename(file, fs::path(file.string() + ".1"), ec);
      }
      close(e);
      if (!open(file, e)) return;
    }
    const ssize_t written = ::write(e.fd, lines.data(), lines.size());
    if (written > 0) e.size += static_cast<std::size_t>(written);
    // (a lost log line must never fail the caller)
  }

 private:
  struct Entry {
    int fd = -1;
    ino_t inode = 0;
    // The file's size as of the last check plus what this process wrote since: rotation needs
    // no system call per line, and other processes' lines are seen within a second.
    std::size_t size = 0;
    std::chrono::steady_clock::time_point checked{};
  };

  static bool open(const fs::path& file, Entry& e) {
    // Logs carry what apps print (secrets too, at times): the logs dir and each file are
    // owner-only from creation on (chmod: mkdir's mode is masked by the umask).
    std::error_code ec;
    fs::create_directories(file.parent_path().parent_path(), ec);  // the data dir, normally there
    if (::mkdir(file.parent_path().c_str(), 0700) == 0) ::chmod(file.parent_path().c_str(), 0700);
    e.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (e.fd < 0) return false;
    struct stat st {};
    const bool known = ::fstat(e.fd, &st) == 0;
    e.inode = known ? st.st_ino : 0;
    e.size = known ? static_cast<std::size_t>(st.st_size) : 0;
    e.checked = std::chrono::steady_clock::now();
    return true;
  }
  static void close(Entry& e) {
    if (e.fd >= 0) ::close(e.fd);
    e.fd = -1;
  }

  std::map<std::string, Entry> entries_;
};

OpenLogFiles& open_log_files() {
  thread_local OpenLogFiles files;
  return files;
}

}  // namespace

void append_line(const fs::path& data_dir, const std::string& app_id, std::string_view source,
                 std::string_view process, std::string_view text) {
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
  open_log_files().write(app_log_file(data_dir, app_id), lines);
}

}  // namespace slipway::logs
