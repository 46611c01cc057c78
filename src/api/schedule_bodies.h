// The pg:backups:schedule body (untrusted; fuzzed by schedule_body_fuzz):
// {"hour":"02","timezone":"America/New_York","schedule_name":"DATABASE_URL"}. The CLI sends the
// hour as the string the user typed and maps zone abbreviations itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::api {

struct ScheduleBody {
  int hour = 0;               // 0-23
  std::string timezone;       // a well-formed zone name (whether it exists is checked later)
  std::string schedule_name;  // "DATABASE_URL"
};

// kInvalidParams naming the bad field (and value) for anything else; kBadRequest for non-JSON.
Result<ScheduleBody> parse_schedule_body(std::string_view body);

// "0" to "23", with an optional leading zero ("02"); nullopt otherwise.
std::optional<int> parse_hour(std::string_view text);

}  // namespace slipway::api
