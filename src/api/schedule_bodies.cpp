#include "api/schedule_bodies.h"

#include "api/json_fields.h"
#include "common/zoneinfo.h"

namespace slipway::api {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxEchoBytes = 64;  // of a bad value, quoted back in the error

std::string echo(std::string_view value) {
  std::string out;
  for (const char c : value.substr(0, kMaxEchoBytes)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

Error bad_hour(std::string_view value) {
  return make_error(ErrorCode::kInvalidParams,
                    "Invalid hour `" + echo(value) +
                        "`: expected a whole hour from 0 to 23, such as \"02\" for 02:00.");
}

// Attachment names are upper-case letters, digits and underscores, starting with a letter.
bool valid_schedule_name(std::string_view name) {
  if (name.size() < 5 || name.size() > 260 || !name.ends_with("_URL")) return false;
  if (name[0] < 'A' || name[0] > 'Z') return false;
  for (const char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Result<int> read_hour(const json& object) {
  const auto it = object.find("hour");
  if (it == object.end() || it->is_null()) {
    return make_error(ErrorCode::kInvalidParams, "Missing `hour`.");
  }
  // Other clients may send a number; the CLI sends a string.
  if (it->is_number_integer()) {
    const auto n = it->get<std::int64_t>();
    if (n < 0 || n > 23) return bad_hour(it->dump());
    return static_cast<int>(n);
  }
  if (!it->is_string()) return wrong_type("hour", "an hour from 0 to 23");
  const auto hour = parse_hour(it->get_ref<const std::string&>());
  if (!hour) return bad_hour(it->get_ref<const std::string&>());
  return *hour;
}

}  // namespace

std::optional<int> parse_hour(std::string_view text) {
  if (text.size() == 2 && text[0] == '0') text.remove_prefix(1);
  if (text.empty() || text.size() > 2) return std::nullopt;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > 23) return std::nullopt;
  return value;
}

Result<ScheduleBody> parse_schedule_body(std::string_view body) {
  auto object = parse_object(body);
  if (!object) return object.error();
  ScheduleBody out;
  auto hour = read_hour(*object);
  if (!hour) return hour.error();
  out.hour = *hour;

  auto zone = optional_string(*object, "timezone");
  if (!zone) return zone.error();
  out.timezone = zone->value_or("UTC");  // the CLI's default, too
  if (!valid_zone_name(out.timezone)) {
    return make_error(ErrorCode::kInvalidParams,
                      "Unknown time zone `" + echo(out.timezone) +
                          "`: use a zone name such as America/New_York, Europe/London or UTC.");
  }

  auto name = optional_string(*object, "schedule_name");
  if (!name) return name.error();
  if (!*name) return make_error(ErrorCode::kInvalidParams, "Missing `schedule_name`.");
  if (!valid_schedule_name(**name)) {
    return wrong_type("schedule_name", "an attachment's config var, such as DATABASE_URL");
  }
  out.schedule_name = std::move(**name);
  return out;
}

}  // namespace slipway::api
