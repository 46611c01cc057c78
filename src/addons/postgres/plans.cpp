#include "addons/postgres/plans.h"

#include <array>
#include <utility>

namespace slipway::addons::postgres {
namespace {

constexpr std::uint64_t kGiB = 1024ULL * 1024 * 1024;

// Heroku Dev Center, "Heroku Postgres Plans" / "Essential Tier" / "PGBackups" (2024): Essential
// plans are shared (table limit 4,000, no fork/follow), Standard and Premium are dedicated;
// PGBackups keeps 5 manual backups on Essential, 25 on Standard and 50 on Premium.
constexpr std::array kPlans = {
    Plan{"essential-0", "Essential 0", Tier::kShared, 1 * kGiB, 20, 4000, 500, true, 5},
    Plan{"essential-1", "Essential 1", Tier::kShared, 10 * kGiB, 20, 4000, 900, false, 5},
    Plan{"essential-2", "Essential 2", Tier::kShared, 32 * kGiB, 40, 4000, 2000, false, 5},
    Plan{"standard-0", "Standard 0", Tier::kDedicated, 64 * kGiB, 120, 0, 5000, false, 25},
    Plan{"standard-2", "Standard 2", Tier::kDedicated, 256 * kGiB, 400, 0, 20000, false, 25},
    Plan{"standard-3", "Standard 3", Tier::kDedicated, 512 * kGiB, 500, 0, 40000, false, 25},
    Plan{"standard-4", "Standard 4", Tier::kDedicated, 768 * kGiB, 500, 0, 75000, false, 25},
    Plan{"premium-0", "Premium 0", Tier::kDedicated, 64 * kGiB, 120, 0, 20000, false, 50},
    Plan{"premium-2", "Premium 2", Tier::kDedicated, 256 * kGiB, 400, 0, 35000, false, 50},
};

// Heroku retired hobby-dev/hobby-basic for mini/basic (2022), then moved mini and basic onto
// essential-0 and essential-1 (2024); old app.json files and runbooks still name them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kAliases = {{
    {"mini", "essential-0"},
    {"hobby-dev", "essential-0"},
    {"basic", "essential-1"},
    {"hobby-basic", "essential-1"},
}};

const Plan* by_name(std::string_view name) {
  for (const auto& alias : kAliases) {
    if (alias.first == name) name = alias.second;
  }
  for (const auto& plan : kPlans) {
    if (plan.name == name) return &plan;
  }
  return nullptr;
}

std::string valid_plans() {
  std::string out;
  for (const auto& plan : kPlans) out += (out.empty() ? "" : ", ") + std::string(plan.name);
  for (const auto& alias : kAliases) out += ", " + std::string(alias.first);
  return out;
}

}  // namespace

std::span<const Plan> all_plans() { return kPlans; }

const Plan& default_plan() {
  for (const auto& plan : kPlans) {
    if (plan.is_default) return plan;
  }
  return kPlans.front();
}

Result<Plan> find_plan(std::string_view spec) {
  std::string_view name = spec;
  if (const auto colon = spec.find(':'); colon != std::string_view::npos) {
    if (spec.substr(0, colon) != kServiceName) {
      return make_error(ErrorCode::kInvalidParams, "\"" + std::string(spec) + "\" is not a " +
                                                       std::string(kServiceName) +
                                                       " plan; valid plans: " + valid_plans());
    }
    name = spec.substr(colon + 1);
  } else if (spec == kServiceName) {
    return default_plan();
  }
  if (const Plan* plan = by_name(name)) return *plan;
  return make_error(ErrorCode::kInvalidParams, "unknown plan \"" + std::string(name) + "\" for " +
                                                   std::string(kServiceName) +
                                                   "; valid plans: " + valid_plans());
}

}  // namespace slipway::addons::postgres
