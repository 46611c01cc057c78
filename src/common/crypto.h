// Hashing and comparison helpers for secrets.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway {

// SHA-256 of `data`, hex-encoded.
std::string sha256_hex(std::string_view data);

// SHA-256 of a file's content, hex-encoded; kNotFound if it cannot be read.
Result<std::string> sha256_file(const std::filesystem::path& path);

// Compares two strings in time that depends only on their lengths, never on their contents.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace slipway
