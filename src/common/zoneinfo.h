// Time zones by IANA name ("America/New_York", "UTC"), read from the system's tzdata.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.h"
#include "common/tzif.h"

namespace slipway {

inline constexpr std::string_view kZoneinfoDir = "/usr/share/zoneinfo";

// Syntax only: 1-64 letters, digits, '/', '_', '-' and '+', in non-empty '/'-separated parts
// (so no absolute paths, no "..", nothing outside the zoneinfo directory).
bool valid_zone_name(std::string_view name);

// The zone `name` under `dir`; kInvalidParams naming the zone when the name is malformed or no
// such TZif file exists.
Result<TimeZone> load_zone(std::string_view name,
                           const std::filesystem::path& dir = std::filesystem::path(kZoneinfoDir));

}  // namespace slipway
