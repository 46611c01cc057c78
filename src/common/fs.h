// Small filesystem helpers: whole-file reads and crash-safe writes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway {

Result<std::string> read_file(const std::filesystem::path& path);

// Writes to a temporary file beside `path`, fsyncs it, then renames it into place, so a crash
// leaves either the old content or the new, never a torn file. `mode` applies from creation on.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         unsigned mode = 0644);

}  // namespace slipway
