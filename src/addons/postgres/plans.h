// The heroku-postgresql plans: Heroku's names, limits and prices, and the lookup the API uses for
// `heroku addons:create heroku-postgresql[:PLAN]`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::addons::postgres {

// Shared: a database and role of its own in the shared cluster. Dedicated: a PostgreSQL
// instance of its own (data dir, port, process).
enum class Tier { kShared, kDedicated };

struct Plan {
  std::string_view name;        // canonical, e.g. "essential-0"
  std::string_view human_name;  // e.g. "Essential 0"
  Tier tier;
  std::uint64_t storage_bytes;  // the plan's storage limit
  int max_connections;          // per database (shared) or per instance (dedicated)
  int max_tables;               // 0: no limit (dedicated plans)
  int price_cents;              // per month
  bool is_default;              // what a bare `heroku-postgresql` gets
  int retained_backups;         // manual backups kept (PGBackups' per-tier retention)
};

inline constexpr std::string_view kServiceName = "heroku-postgresql";

// Every plan, cheapest first; the legacy aliases are not in it.
std::span<const Plan> all_plans();

const Plan& default_plan();

// Accepts "heroku-postgresql:PLAN", "PLAN" or a bare "heroku-postgresql" (the default plan), and
// the legacy names Heroku maps onto the Essential tier (mini, hobby-dev, basic, hobby-basic).
// kInvalidParams naming the valid plans when the name is unknown or the service is not ours.
Result<Plan> find_plan(std::string_view spec);

}  // namespace slipway::addons::postgres
