// Wall-clock timestamps in the ISO 8601 form the Platform API uses.
#pragma once

#include <chrono>
#include <string>

namespace slipway {

// "2025-01-01T00:00:00Z" for the given instant (UTC, second precision).
std::string iso8601(std::chrono::system_clock::time_point when);
std::string now_iso8601();

}  // namespace slipway
