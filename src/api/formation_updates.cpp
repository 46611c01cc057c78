#include "api/formation_updates.h"

#include <strings.h>

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/request_bodies.h"

namespace slipway::api {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 9> kSizes = {"Eco",
                                                    "Basic",
                                                    "Standard-1X",
                                                    "Standard-2X",
                                                    "Performance-M",
                                                    "Performance-L",
                                                    "Performance-L-RAM",
                                                    "Performance-XL",
                                                    "Performance-2XL"};

Error invalid(const std::string& message) { return make_error(ErrorCode::kInvalidParams, message); }

// "2", "+1", "-1" (strings, as the CLI sends them) or a JSON integer.
Status apply_quantity(const json& value, store::FormationUpdate& update) {
  if (value.is_number_integer()) {
    update.quantity = value.get<std::int64_t>();
  } else if (value.is_string()) {
    const std::string text = value.get<std::string>();
    const bool relative = !text.empty() && (text[0] == '+' || text[0] == '-');
    const char* begin = text.data() + (relative && text[0] == '+' ? 1 : 0);
    const char* end = text.data() + text.size();
    std::int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(begin, end, n);
    if (text.empty() || text.size() > 12 || ec != std::errc() || ptr != end) {
      return invalid("Invalid quantity `" + text.substr(0, 32) + "` for " + update.type +
                     ": use a whole number, or +N / -N.");
    }
    if (relative) {
      update.delta = n;
    } else {
      update.quantity = n;
    }
  } else {
    return invalid("Invalid quantity for " + update.type + ": expected a number or a string.");
  }
  if (update.quantity && (*update.quantity < 0 || *update.quantity > kMaxDynosPerType)) {
    return invalid("Cannot scale " + update.type + " to " + std::to_string(*update.quantity) +
                   " dynos; use 0 to " + std::to_string(kMaxDynosPerType) + ".");
  }
  if (update.delta && (*update.delta < -kMaxDynosPerType || *update.delta > kMaxDynosPerType)) {
    return invalid("Cannot change " + update.type + " by " + std::to_string(*update.delta) +
                   " dynos at once.");
  }
  return {};
}

Result<store::FormationUpdate> parse_one(std::string_view type, const json& object) {
  if (!object.is_object()) return invalid("Each formation update must be an object.");
  store::FormationUpdate update;
  update.type = std::string(type);
  if (auto valid = validate_process_type(type); !valid) return valid.error();
  if (const auto q = object.find("quantity"); q != object.end() && !q->is_null()) {
    if (auto s = apply_quantity(*q, update); !s) return s.error();
  }
  if (const auto size = object.find("size"); size != object.end() && !size->is_null()) {
    if (!size->is_string())
      return invalid("Invalid size for " + update.type + ": expected a string.");
    update.size = canonical_dyno_size(size->get<std::string>());
    if (!update.size) {
      return invalid("Unknown dyno size `" + size->get<std::string>().substr(0, 32) +
                     "`. Sizes: eco, basic, standard-1x, standard-2x, performance-m, "
                     "performance-l, performance-l-ram, performance-xl, performance-2xl.");
    }
  }
  if (!update.quantity && !update.delta && !update.size) {
    return invalid("Formation update for " + update.type + " has neither quantity nor size.");
  }
  return update;
}

Result<json> parse_json_object(std::string_view body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return make_error(ErrorCode::kBadRequest, "The request body must be a JSON object.");
  }
  return parsed;
}

}  // namespace

std::optional<std::string> canonical_dyno_size(std::string_view size) {
  // Heroku's older names for the same sizes.
  if (strncasecmp(size.data(), "1X", size.size()) == 0 && size.size() == 2) return "Standard-1X";
  if (strncasecmp(size.data(), "2X", size.size()) == 0 && size.size() == 2) return "Standard-2X";
  for (const auto known : kSizes) {
    if (known.size() == size.size() && strncasecmp(known.data(), size.data(), size.size()) == 0) {
      return std::string(known);
    }
  }
  return std::nullopt;
}

Result<std::vector<store::FormationUpdate>> parse_formation_batch(std::string_view body) {
  auto object = parse_json_object(body);
  if (!object) return object.error();
  const auto updates = object->find("updates");
  if (updates == object->end() || !updates->is_array() || updates->empty()) {
    return invalid("Expected {\"updates\": [{\"type\": ..., \"quantity\": ...}, ...]}.");
  }
  std::vector<store::FormationUpdate> out;
  for (const auto& u : *updates) {
    const auto type = u.is_object() ? u.find("type") : u.end();
    if (!u.is_object() || type == u.end() || !type->is_string()) {
      return invalid("Each formation update needs a `type` string.");
    }
    auto parsed = parse_one(type->get<std::string>(), u);
    if (!parsed) return parsed.error();
    out.push_back(std::move(*parsed));
  }
  return out;
}

Result<store::FormationUpdate> parse_formation_single(std::string_view type,
                                                      std::string_view body) {
  auto object = parse_json_object(body);
  if (!object) return object.error();
  return parse_one(type, *object);
}

}  // namespace slipway::api
