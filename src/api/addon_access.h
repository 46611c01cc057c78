// Shared by the add-on and attachment resources: which add-ons the caller may use, the names
// new add-ons and attachments get, and announcing the releases an add-on change made.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/addon_control.h"
#include "api/resources.h"

namespace slipway::api {

// An add-on the caller may use: one billed to or attached to an app they can use.
Result<store::Addon> find_accessible_addon(const ApiDeps& deps, std::string_view name_or_id,
                                           const store::Account& account);
bool may_use_addon(const ApiDeps& deps, const store::Addon& addon, const store::Account& account);

// Whether `ref` names the add-on's service ("heroku-postgresql") or its plan
// ("heroku-postgresql:essential-0"): on an app, the resolvers match these as Heroku's do, so
// one database answers to its service name and two are ambiguous.
bool names_service_or_plan(const store::Addon& addon, std::string_view ref);

// kNotFound when the catalog has no such service.
Result<AddonServiceInfo> find_service(const AddonControl& addons, std::string_view name);

// Names for a new add-on, "<prefix>-<adjective>-<number>", in random order.
std::vector<std::string> addon_name_candidates(const AddonServiceInfo& service);
// Names for a new attachment: the service's first name ("DATABASE"), then its prefix with each
// of Heroku's colours in random order ("HEROKU_POSTGRESQL_GOLD").
std::vector<std::string> attachment_name_candidates(const AddonServiceInfo& service);

// Runs a store change that makes releases (`releases_of` picks them from its result) through
// the release service, so each release runs its release phase or goes live.
template <typename T, typename Change, typename ReleasesOf>
Result<T> releasing(const ApiDeps& deps, Change&& change, ReleasesOf&& releases_of) {
  std::optional<T> outcome;
  auto followed = deps.releases.follow_releases([&]() -> Result<std::vector<store::Release>> {
    Result<T> made = change();
    if (!made) return made.error();
    outcome = std::move(*made);
    return releases_of(*outcome);
  });
  if (!followed) return followed.error();
  return std::move(*outcome);
}

}  // namespace slipway::api
