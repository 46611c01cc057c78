#include "api/addon_access.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

store::Addon essential_database() {
  store::Addon addon;
  addon.name = "postgresql-shaped-12345";
  addon.service = "heroku-postgresql";
  addon.plan = "essential-0";
  return addon;
}

TEST(NamesServiceOrPlan, TheServiceAndItsFullPlanName) {
  const auto addon = essential_database();
  EXPECT_TRUE(names_service_or_plan(addon, "heroku-postgresql"));
  EXPECT_TRUE(names_service_or_plan(addon, "heroku-postgresql:essential-0"));
}

TEST(NamesServiceOrPlan, NotOtherPlansPrefixesOrTheAddonsOwnName) {
  const auto addon = essential_database();
  for (const auto* ref : {"heroku-postgresql:standard-0", "essential-0", "heroku-postgres",
                          "heroku-postgresql:", "heroku-redis", "", "postgresql-shaped-12345"}) {
    EXPECT_FALSE(names_service_or_plan(addon, ref)) << ref;
  }
}

}  // namespace
}  // namespace slipway::api
