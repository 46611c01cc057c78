#include "common/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace slipway {

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot read " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         unsigned mode) {
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return make_error(
        ErrorCode::kInternal,
        "cannot create " + tmp + ": " + std::error_code(errno, std::generic_category()).message());
  }
  ::fchmod(fd, mode);  // O_CREAT's mode is masked by the umask; secrets must not be.
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return make_error(
          ErrorCode::kInternal,
          "cannot write " + tmp + ": " + std::error_code(errno, std::generic_category()).message());
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return make_error(ErrorCode::kInternal, "cannot replace " + path.string());
  }
  return {};
}

Status make_directories(const std::filesystem::path& dir, unsigned mode) {
  std::filesystem::path prefix;
  for (const auto& part : dir) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), mode) == 0) {
      ::chmod(prefix.c_str(), mode);  // mkdir's mode is masked by the umask
    } else if (errno != EEXIST) {
      return make_error(ErrorCode::kInternal,
                        "cannot create " + prefix.string() + ": " +
                            std::error_code(errno, std::generic_category()).message());
    }
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return make_error(ErrorCode::kInternal, "cannot create " + dir.string() + ": not a directory");
  }
  return {};
}

}  // namespace slipway
