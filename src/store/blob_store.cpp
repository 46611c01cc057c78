#include "store/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/fs.h"
#include "common/ids.h"

namespace slipway::store {

namespace fs = std::filesystem;

BlobStore::BlobStore(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  (void)make_directories(root_ / "incoming", 0700);  // app users must not read slugs of others
  // Leftovers of uploads interrupted by a crash are garbage: nothing refers to them.
  for (const auto& entry : fs::directory_iterator(root_ / "incoming", ec)) {
    fs::remove(entry.path(), ec);
  }
}

fs::path BlobStore::incoming_path() const { return root_ / "incoming" / random_hex(16); }

fs::path BlobStore::path_of(const std::string& sha256) const {
  return root_ / sha256.substr(0, 2) / sha256;
}

bool BlobStore::contains(const std::string& sha256) const {
  std::error_code ec;
  return sha256.size() == 64 && fs::exists(path_of(sha256), ec);
}

void BlobStore::remove(const std::string& sha256) const {
  if (sha256.size() != 64) return;
  std::error_code ec;
  fs::remove(path_of(sha256), ec);
}

Result<std::string> BlobStore::adopt(const fs::path& file) const {
  auto sha = sha256_file(file);
  if (!sha) return sha.error();
  return adopt(file, *sha);
}

Result<std::string> BlobStore::adopt(const fs::path& file, const std::string& sha) const {
  const fs::path target = path_of(sha);
  std::error_code ec;
  (void)make_directories(target.parent_path(), 0700);
  if (fs::exists(target, ec)) {
    fs::remove(file, ec);
    return sha;
  }
  // fsync before the rename makes the blob durable before any record points at it.
  if (const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  fs::permissions(file, fs::perms::owner_read | fs::perms::group_read, ec);
  fs::rename(file, target, ec);
  if (ec) return make_error(ErrorCode::kInternal, "cannot store blob: " + ec.message());
  return sha;
}

}  // namespace slipway::store
