// Packing a built app into a slug archive: BUILD_DIR as the build left it, under ./app/, as a
// tar.gz that check_slug_archive accepts. The build directory was written by the build (another
// uid, maybe still around), so it is read without following any symlink.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "common/result.h"

namespace slipway::build {

struct SlugWriteLimits {
  std::uint64_t max_compressed_bytes = std::uint64_t{500} * 1024 * 1024;
};

struct SlugWritten {
  std::uint64_t compressed_bytes = 0;
  std::uint64_t entries = 0;
};

// Writes `archive` from `build_dir`: dotfiles included, `.git` at the top left out, modes kept
// (without setuid/setgid/sticky), symlinks kept as symlinks. Sockets, FIFOs and devices are left
// out, each reported through `skipped`. Errors: kInvalidParams for a symlink that is absolute or
// leaves the app (naming it), kPayloadTooLarge once the compressed archive passes the limit;
// kInternal for I/O. On error the archive is removed.
Result<SlugWritten> write_slug_archive(const std::filesystem::path& build_dir,
                                       const std::filesystem::path& archive,
                                       const SlugWriteLimits& limits,
                                       const std::function<void(std::string_view)>& skipped = {});

}  // namespace slipway::build
