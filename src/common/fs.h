// Small filesystem helpers: whole-file reads, crash-safe writes, directories with exact modes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway {

Result<std::string> read_file(const std::filesystem::path& path);

// Writes to a temporary file beside `path`, fsyncs it, then renames it into place, so a crash
// leaves either the old content or the new, never a torn file. `mode` applies from creation on
// (owner-only by default: everything under the data dir is private unless said otherwise).
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         unsigned mode = 0600);

// Creates `dir` and whichever of its parents are missing, each with exactly `mode` (not masked
// by the umask). Directories that already exist keep their mode.
Status make_directories(const std::filesystem::path& dir, unsigned mode);

}  // namespace slipway
