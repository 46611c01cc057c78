// The safety rules every tarball Slipway unpacks must pass (slug archives, source archives,
// buildpack tarballs), and the one extraction routine that applies them. Archives come from
// users, so every entry is checked before anything is written, and again while writing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace slipway::build {

struct ArchiveLimits {
  std::uint64_t max_unpacked_bytes = std::uint64_t{2} * 1024 * 1024 * 1024;
  std::uint64_t max_entries = 500000;
};

// What an archive may hold and where its entries go.
struct ArchiveRules {
  std::string what = "archive";  // names the archive in errors: "Invalid <what>: ..."
  ArchiveLimits limits;
  // When set, every entry must live under this top-level directory ("app" for slugs), and
  // symlinks must stay inside it.
  std::string required_root;
  // When set, this top-level directory is removed from every path (GitHub-style tarballs whose
  // entries all sit under one directory); entries outside it are refused.
  std::string strip_prefix;
};

struct ArchiveScan {
  std::uint64_t entries = 0;
  std::uint64_t unpacked_bytes = 0;
  // The one top-level directory every entry sits under, when there is one (and something in it).
  std::optional<std::string> single_top_level_dir;
};

// Reads the whole archive (tar, optionally gzip-compressed) and refuses (kInvalidParams, with the
// offending path) anything but regular files, directories and links that stay inside: absolute
// paths, ".." components, symlinks that are absolute or leave the archive's root, hard links to
// outside, devices, FIFOs, sockets, an empty archive, and archives over the limits.
Result<ArchiveScan> scan_archive(const std::filesystem::path& archive, const ArchiveRules& rules);
Result<ArchiveScan> scan_archive_bytes(const void* data, std::size_t size,
                                       const ArchiveRules& rules);

// Scans, then unpacks into `destination` (which must not exist yet) through `destination`.partial,
// renamed into place at the end: on failure nothing is left behind. Modes are kept but for
// setuid/setgid/sticky and group/world write; owners are not restored.
Status extract_archive(const std::filesystem::path& archive,
                       const std::filesystem::path& destination, const ArchiveRules& rules);

// A relative path's components, "." and empty ones dropped; nullopt when the path is absolute or
// has a ".." component.
std::optional<std::vector<std::string>> relative_components(std::string_view path);

// Whether a symlink at `link` (its components from the archive's root) with this target stays
// inside the root (or inside `root_dir`, its first component, when not empty). Targets must be
// relative, and ".." is allowed only as leading components: lexically resolving "a/../b" is
// wrong when "a" is itself a link, so such targets are refused rather than guessed at.
bool link_stays_inside(const std::vector<std::string>& link, std::string_view target,
                       std::string_view root_dir = {});

}  // namespace slipway::build
