// Fuzzes the add-on and attachment body parsers: every accepted body names what is required,
// and every accepted name satisfies Heroku's naming rules (checked here independently).
#include <cstdint>
#include <string>
#include <string_view>

#include "api/addon_bodies.h"
#include "fuzz_check.h"

namespace {

bool addon_name_ok(std::string_view s) {
  if (s.empty() || s.size() > 256 || s[0] < 'a' || s[0] > 'z') return false;
  for (const char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool attachment_name_ok(std::string_view s) {
  if (s.empty() || s.size() > 256 || s[0] < 'A' || s[0] > 'Z') return false;
  for (const char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  FUZZ_CHECK(slipway::api::validate_addon_name(body).ok() == addon_name_ok(body));
  FUZZ_CHECK(slipway::api::validate_attachment_name(body).ok() == attachment_name_ok(body));
  if (const auto create = slipway::api::parse_addon_create(body); create.ok()) {
    FUZZ_CHECK(!create->plan.empty());
    if (create->name) FUZZ_CHECK(addon_name_ok(*create->name));
    if (create->attachment_name) FUZZ_CHECK(attachment_name_ok(*create->attachment_name));
    FUZZ_CHECK(create->config.size() <= 32);
  }
  if (const auto attach = slipway::api::parse_attachment_create(body); attach.ok()) {
    FUZZ_CHECK(!attach->addon.empty() && !attach->app.empty());
    if (attach->name) FUZZ_CHECK(attachment_name_ok(*attach->name));
  }
  if (const auto update = slipway::api::parse_addon_update(body); update.ok()) {
    FUZZ_CHECK(update->name || update->plan);
    if (update->name) FUZZ_CHECK(addon_name_ok(*update->name));
  }
  for (const char* field : {"addon", "addon_attachment"}) {
    if (const auto resolve = slipway::api::parse_resolve(body, field); resolve.ok()) {
      FUZZ_CHECK(!resolve->ref.empty() && resolve->ref.size() <= 514);
    }
  }
  return 0;
}
