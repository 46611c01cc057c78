// Source archives: the app's code as a tarball (tar.gz from `git archive`, or uploaded through the
// Build API), unpacked into a build directory. They come from users, so they pass the same
// checks as slug archives (build/archive_safety.h) before anything is written.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "build/archive_safety.h"
#include "common/result.h"

namespace slipway::build {

using SourceLimits = ArchiveLimits;

struct SourceSummary {
  std::uint64_t entries = 0;
  std::uint64_t unpacked_bytes = 0;
  std::string stripped_dir;  // the single top-level directory removed, if there was one
};

// Checks, then unpacks into `destination` (which must not exist yet; it is created). When every
// entry sits under one top-level directory (GitHub-style tarballs, `git archive --prefix`), that
// directory is stripped, as Heroku does: `destination` holds what was inside it. Refuses
// (kInvalidParams, naming the entry) absolute paths, ".." components, symlinks that are absolute
// or leave the source, hard links to outside, devices, FIFOs, sockets, empty archives and
// archives over the limits. On failure nothing is left behind. `what` names the archive in
// errors ("Invalid source archive: ...").
Result<SourceSummary> extract_source_archive(const std::filesystem::path& archive,
                                             const std::filesystem::path& destination,
                                             const SourceLimits& limits = {},
                                             std::string_view what = "source archive");

// The same checks on an in-memory archive, without unpacking (used by the fuzz target).
Result<SourceSummary> check_source_archive_bytes(const void* data, std::size_t size,
                                                 const SourceLimits& limits = {});

}  // namespace slipway::build
