// Parsing formation updates as `heroku ps:scale` and `ps:type` send them: string quantities,
// relative ("+1", "-1") or absolute, and dyno sizes in any letter case.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/models.h"

namespace slipway::api {

constexpr std::int64_t kMaxDynosPerType = 100;

// The canonical name of a dyno size ("standard-2x" -> "Standard-2X"), or nullopt if unknown.
std::optional<std::string> canonical_dyno_size(std::string_view size);

// {"updates": [{"type": "web", "quantity": "2" | 2 | "+1", "size": "standard-1x"}, ...]}
Result<std::vector<store::FormationUpdate>> parse_formation_batch(std::string_view body);
// PATCH /formation/{type}: {"quantity": ..., "size": ...}
Result<store::FormationUpdate> parse_formation_single(std::string_view type, std::string_view body);

}  // namespace slipway::api
