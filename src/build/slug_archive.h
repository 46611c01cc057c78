// Slug archives: gzip-compressed tarballs whose entries all live under ./app, as Heroku's Slug
// API requires. They come from users, so every entry is checked before anything is written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "build/archive_safety.h"
#include "common/result.h"

namespace slipway::build {

using SlugLimits = ArchiveLimits;

struct SlugSummary {
  std::uint64_t entries = 0;
  std::uint64_t unpacked_bytes = 0;
};

// Reads the whole archive and refuses (kInvalidParams, with the offending path) anything that
// is not a tar.gz of regular files, directories and links under ./app: absolute paths, ".."
// components, links whose target leaves ./app or is absolute, devices, FIFOs, sockets, and
// archives over the limits (the rules are build/archive_safety.h's, with ./app as the root).
Result<SlugSummary> check_slug_archive(const std::filesystem::path& archive,
                                       const SlugLimits& limits = {});

// Checks, then unpacks into `destination` (which must not exist yet), so `destination/app` is
// the app's directory. On failure nothing is left behind.
Status unpack_slug_archive(const std::filesystem::path& archive,
                           const std::filesystem::path& destination, const SlugLimits& limits = {});

// The same check on an in-memory archive (used by the fuzz target).
Result<SlugSummary> check_slug_archive_bytes(const void* data, std::size_t size,
                                             const SlugLimits& limits = {});

}  // namespace slipway::build
