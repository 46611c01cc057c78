// Replies for list endpoints: Range parsing, ordering, one page, and Next-Range when more remain.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/range.h"
#include "api/routing.h"

namespace slipway::api {

// `fields` maps each sortable field name to one key per item; `default_field` is used when the
// Range header names none (or there is no header).
Result<Reply> list_reply(const RequestContext& ctx, const std::vector<nlohmann::json>& items,
                         const std::map<std::string, std::vector<SortKey>>& fields,
                         const std::string& default_field);

inline SortKey text_key(std::string text) { return SortKey{0, std::move(text), false}; }
inline SortKey number_key(std::int64_t n) { return SortKey{n, std::to_string(n), true}; }

}  // namespace slipway::api
