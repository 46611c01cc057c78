#include "api/addon_access.h"

#include <algorithm>
#include <array>

#include "api/app_access.h"
#include "common/ids.h"

namespace slipway::api {
namespace {

// Heroku's attachment colours.
constexpr std::array<std::string_view, 37> kColours = {
    "AMBER",  "AQUA",   "BLACK",  "BLUE",    "BRONZE", "BROWN", "CHARCOAL", "CHARTREUSE",
    "COBALT", "COPPER", "CORAL",  "CRIMSON", "CYAN",   "GOLD",  "GRAY",     "GREEN",
    "IVORY",  "JADE",   "LIME",   "MAGENTA", "MAROON", "MAUVE", "NAVY",     "OLIVE",
    "ONYX",   "ORANGE", "PINK",   "PUCE",    "PURPLE", "RED",   "ROSE",     "SILVER",
    "TEAL",   "TOPAZ",  "VIOLET", "WHITE",   "YELLOW"};

constexpr std::array<std::string_view, 32> kAdjectives = {
    "amorphous",   "angular",    "animate",   "aerodynamic", "asymmetrical", "clean",
    "concentric",  "contoured",  "convex",    "crystalline", "cubic",        "curved",
    "cylindrical", "deep",       "defined",   "dimensional", "elliptical",   "flat",
    "fluffy",      "horizontal", "octagonal", "opaque",      "parallel",     "perpendicular",
    "polished",    "regular",    "rigid",     "round",       "shaped",       "silky",
    "solid",       "spherical"};

template <typename T>
void shuffle(std::vector<T>& items) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[random_below(static_cast<unsigned>(i))]);
  }
}

}  // namespace

bool may_use_addon(const ApiDeps& deps, const store::Addon& addon, const store::Account& account) {
  if (find_accessible_app(deps.store, addon.app_id, account)) return true;
  auto attachments = deps.store.list_attachments(std::nullopt, addon.id);
  if (!attachments) return false;
  return std::any_of(attachments->begin(), attachments->end(), [&](const auto& t) {
    return find_accessible_app(deps.store, t.app_id, account).ok();
  });
}

bool names_service_or_plan(const store::Addon& addon, std::string_view ref) {
  return ref == addon.service || ref == addon.service + ":" + addon.plan;
}

Result<store::Addon> find_accessible_addon(const ApiDeps& deps, std::string_view name_or_id,
                                           const store::Account& account) {
  auto addon = deps.store.find_addon(name_or_id);
  if (!addon) return addon.error();
  // Someone else's add-on is reported as missing, not forbidden: its name says nothing.
  if (!may_use_addon(deps, *addon, account)) {
    return make_error(ErrorCode::kNotFound, "Couldn't find that add-on.");
  }
  return addon;
}

Result<AddonServiceInfo> find_service(const AddonControl& addons, std::string_view name) {
  for (const auto& service : addons.services()) {
    if (service.name == name) return service;
  }
  return make_error(ErrorCode::kNotFound,
                    "Couldn't find the add-on service " + std::string(name) + ".");
}

std::vector<std::string> addon_name_candidates(const AddonServiceInfo& service) {
  constexpr int kCandidates = 20;
  std::vector<std::string> names;
  names.reserve(kCandidates);
  for (int i = 0; i < kCandidates; ++i) {
    names.push_back(service.name_prefix + "-" +
                    std::string(kAdjectives[random_below(kAdjectives.size())]) + "-" +
                    std::to_string(10000 + random_below(90000)));
  }
  return names;
}

std::vector<std::string> attachment_name_candidates(const AddonServiceInfo& service) {
  std::vector<std::string> colours;
  colours.reserve(kColours.size() + 1);
  for (const auto colour : kColours) {
    colours.push_back(service.attachment_prefix + "_" + std::string(colour));
  }
  shuffle(colours);
  colours.insert(colours.begin(), service.first_attachment);
  return colours;
}

}  // namespace slipway::api
