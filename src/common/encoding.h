// Byte encodings: hex and base64.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slipway {

std::string hex_encode(std::string_view bytes);

// Standard base64 (RFC 4648, with padding). nullopt on any malformed input.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace slipway
