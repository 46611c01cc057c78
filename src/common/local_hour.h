// When is it next HH:00 local time in a zone? For daily schedules ("daily at 2:00
// America/New_York") across DST changes: an hour that a change skips runs at the first valid
// instant after it (the change itself); an hour that a change repeats runs once, at its first
// occurrence.
#pragma once

#include <chrono>

#include "common/tzif.h"

namespace slipway {

// The first instant strictly after `after` at which `zone` reads `hour`:00:00 (0-23), or the
// instant a DST change skips that time on a day that has no such reading.
std::chrono::sys_seconds next_local_hour(const TimeZone& zone, int hour,
                                         std::chrono::sys_seconds after);

}  // namespace slipway
