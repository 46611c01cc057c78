// Hashing and comparison helpers for secrets.
#pragma once

#include <string>
#include <string_view>

namespace slipway {

// SHA-256 of `data`, hex-encoded.
std::string sha256_hex(std::string_view data);

// Compares two strings in time that depends only on their lengths, never on their contents.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace slipway
