#include <gtest/gtest.h>

#include "addons/postgres/plans.h"

namespace slipway::addons::postgres {
namespace {

TEST(PostgresPlans, CanonicalNamesWithOrWithoutTheService) {
  auto plan = find_plan("heroku-postgresql:essential-1");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->name, "essential-1");
  EXPECT_EQ(plan->human_name, "Essential 1");
  EXPECT_EQ(plan->tier, Tier::kShared);
  EXPECT_EQ(plan->storage_bytes, 10ULL << 30);
  EXPECT_EQ(plan->max_connections, 20);
  EXPECT_EQ(plan->max_tables, 4000);
  EXPECT_EQ(plan->price_cents, 900);
  auto standard = find_plan("standard-0");
  ASSERT_TRUE(standard.ok());
  EXPECT_EQ(standard->tier, Tier::kDedicated);
  EXPECT_EQ(standard->storage_bytes, 64ULL << 30);
  EXPECT_EQ(standard->max_connections, 120);
  EXPECT_EQ(standard->max_tables, 0);
  EXPECT_EQ(standard->price_cents, 5000);
  EXPECT_GT(standard->retained_backups, plan->retained_backups);
}

TEST(PostgresPlans, BareServiceIsTheDefaultPlan) {
  auto plan = find_plan("heroku-postgresql");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->name, "essential-0");
  EXPECT_TRUE(plan->is_default);
  EXPECT_EQ(default_plan().name, "essential-0");
  int defaults = 0;
  for (const auto& p : all_plans()) defaults += p.is_default ? 1 : 0;
  EXPECT_EQ(defaults, 1);
}

TEST(PostgresPlans, LegacyNamesMapOntoTheEssentialTier) {
  for (const auto& [legacy, current] :
       std::vector<std::pair<std::string, std::string>>{{"mini", "essential-0"},
                                                        {"hobby-dev", "essential-0"},
                                                        {"basic", "essential-1"},
                                                        {"hobby-basic", "essential-1"}}) {
    auto plan = find_plan("heroku-postgresql:" + legacy);
    ASSERT_TRUE(plan.ok()) << legacy;
    EXPECT_EQ(plan->name, current) << legacy;
    EXPECT_EQ(find_plan(legacy)->name, current);
  }
}

TEST(PostgresPlans, UnknownPlansAreRefusedWithTheValidOnes) {
  for (const auto* spec :
       {"heroku-postgresql:hobby-huge", "gold", "heroku-redis:mini", "heroku-postgresql:", ""}) {
    auto plan = find_plan(spec);
    ASSERT_FALSE(plan.ok()) << spec;
    EXPECT_EQ(plan.error().code, ErrorCode::kInvalidParams);
    EXPECT_NE(plan.error().message.find("valid plans: essential-0, essential-1"), std::string::npos)
        << plan.error().message;
  }
}

TEST(PostgresPlans, CatalogIsConsistent) {
  for (const auto& plan : all_plans()) {
    EXPECT_EQ(plan.max_tables > 0, plan.tier == Tier::kShared) << plan.name;
    EXPECT_GT(plan.storage_bytes, 0U) << plan.name;
    EXPECT_GT(plan.max_connections, 0) << plan.name;
    EXPECT_GT(plan.retained_backups, 0) << plan.name;
    EXPECT_TRUE(find_plan(plan.name).ok()) << plan.name;
  }
}

}  // namespace
}  // namespace slipway::addons::postgres
