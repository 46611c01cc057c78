// Content-addressed blobs (slug and source archives) under DATA_DIR/blobs: a blob's name is the
// SHA-256 of its content, so identical uploads are stored once and never change.
#pragma once

#include <filesystem>
#include <string>

#include "common/result.h"

namespace slipway::store {

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path root);

  // A fresh path under the store's own directory for an upload in progress (same filesystem,
  // so adopt() is a rename).
  std::filesystem::path incoming_path() const;
  // Hashes `file`, moves it into place (or drops it when that content is already stored) and
  // returns its SHA-256.
  Result<std::string> adopt(const std::filesystem::path& file) const;
  // The same with the SHA-256 of `file` computed by the caller (while it was busy with
  // something else); `file` must not have changed since.
  Result<std::string> adopt(const std::filesystem::path& file, const std::string& sha256) const;
  std::filesystem::path path_of(const std::string& sha256) const;
  bool contains(const std::string& sha256) const;
  // Removes a blob nothing refers to any more (the caller knows: e.g. a deleted backup's).
  void remove(const std::string& sha256) const;

 private:
  std::filesystem::path root_;
};

}  // namespace slipway::store
