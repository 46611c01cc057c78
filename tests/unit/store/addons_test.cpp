// The store's add-ons and attachments: naming, config vars and the releases each change makes.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/ids.h"
#include "store/store.h"

namespace slipway::store {
namespace {

namespace fs = std::filesystem;

class AddonStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-addons-test-" + random_hex(6));
    fs::create_directories(dir_);
    auto opened = Store::open(dir_ / "state.db");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    owner_ = *store_->ensure_account("dev@example.com");
    app_ = *store_->create_app({"shop", "us", "heroku-24"}, owner_);
    other_ = *store_->create_app({"reports", "us", "heroku-24"}, owner_);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  NewAddon postgres(std::vector<std::string> names, std::vector<std::string> attachments) {
    return NewAddon{"heroku-postgresql", "essential-0", std::move(names), std::move(attachments)};
  }

  std::string config(const App& app, const std::string& key) {
    auto vars = store_->config_vars(app.id);
    const auto it = vars->find(key);
    return it == vars->end() ? "" : it->second;
  }

  std::int64_t latest_version(const App& app) {
    auto releases = store_->list_releases(app.id);
    return releases->back().version;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
  Account owner_;
  App app_;
  App other_;
};

TEST_F(AddonStoreTest, CreateTakesTheFirstFreeNamesAndWaitsForProvisioning) {
  auto first = store_->create_addon(app_, owner_, postgres({"pg-a"}, {"DATABASE", "HP_GOLD"}));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->name, "DATABASE");
  EXPECT_EQ(first->addon.state, "provisioning");
  EXPECT_EQ(first->addon.config_vars, std::vector<std::string>{"DATABASE_URL"});
  EXPECT_EQ(config(app_, "DATABASE_URL"), "");  // no URL before provisioning
  const auto version = latest_version(app_);

  auto second =
      store_->create_addon(app_, owner_, postgres({"pg-a", "pg-b"}, {"DATABASE", "HP_GOLD"}));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->addon.name, "pg-b");
  EXPECT_EQ(second->name, "HP_GOLD");
  EXPECT_EQ(latest_version(app_), version);  // creating alone makes no release

  auto taken = store_->create_addon(app_, owner_, postgres({"pg-c"}, {"DATABASE"}));
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(store_->find_addon("pg-c").ok());  // nothing half-created
}

TEST_F(AddonStoreTest, ProvisioningSetsTheUrlOnEveryAttachmentInARelease) {
  auto created = store_->create_addon(app_, owner_, postgres({"pg-a"}, {"DATABASE"}));
  ASSERT_TRUE(created.ok());
  NewAttachment attach{created->addon.id, other_.id, {"SHARED_DB"}, std::nullopt, false};
  ASSERT_TRUE(store_->attach_addon(owner_, attach).ok());
  const auto before = latest_version(app_);

  auto change = store_->finish_provisioning(created->addon.id, R"({"db":"d1"})",
                                            "postgres://u:p@localhost:5432/d1");
  ASSERT_TRUE(change.ok()) << change.error().message;
  ASSERT_EQ(change->releases.size(), 2U);
  EXPECT_EQ(config(app_, "DATABASE_URL"), "postgres://u:p@localhost:5432/d1");
  EXPECT_EQ(config(other_, "SHARED_DB_URL"), "postgres://u:p@localhost:5432/d1");
  EXPECT_EQ(latest_version(app_), before + 1);
  auto releases = store_->list_releases(app_.id);
  EXPECT_EQ(releases->back().description, "Attach DATABASE (@ref:pg-a)");
  EXPECT_EQ(releases->back().config.at("DATABASE_URL"), "postgres://u:p@localhost:5432/d1");
  EXPECT_EQ(store_->find_addon("pg-a")->state, "provisioned");
  // Only once.
  EXPECT_FALSE(store_->finish_provisioning(created->addon.id, "{}", "postgres://x").ok());
}

TEST_F(AddonStoreTest, AttachingUnderATakenNameNeedsReplaceAndThenSwapsInOneRelease) {
  auto a = store_->create_addon(app_, owner_, postgres({"pg-a"}, {"DATABASE"}));
  auto b = store_->create_addon(app_, owner_, postgres({"pg-b"}, {"HEROKU_POSTGRESQL_GOLD"}));
  ASSERT_TRUE(store_->finish_provisioning(a->addon.id, "{}", "postgres://a").ok());
  ASSERT_TRUE(store_->finish_provisioning(b->addon.id, "{}", "postgres://b").ok());

  NewAttachment promote{b->addon.id, app_.id, {"DATABASE"}, std::nullopt, false};
  auto refused = store_->attach_addon(owner_, promote);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(config(app_, "DATABASE_URL"), "postgres://a");

  promote.replace = true;
  auto swapped = store_->attach_addon(owner_, promote);
  ASSERT_TRUE(swapped.ok()) << swapped.error().message;
  ASSERT_EQ(swapped->second.releases.size(), 1U);
  EXPECT_EQ(swapped->second.releases[0].description,
            "Attach DATABASE (@ref:pg-b), Detach DATABASE (@ref:pg-a)");
  EXPECT_EQ(config(app_, "DATABASE_URL"), "postgres://b");
  EXPECT_EQ(config(app_, "HEROKU_POSTGRESQL_GOLD_URL"), "postgres://b");
  EXPECT_FALSE(store_->find_attachment_by_name(app_.id, "DATABASE")->addon.name != "pg-b");
}

TEST_F(AddonStoreTest, DetachRemovesTheVarInARelease) {
  auto a = store_->create_addon(app_, owner_, postgres({"pg-a"}, {"DATABASE"}));
  ASSERT_TRUE(store_->finish_provisioning(a->addon.id, "{}", "postgres://a").ok());
  auto change = store_->detach_addon(owner_, a->id);
  ASSERT_TRUE(change.ok());
  ASSERT_EQ(change->releases.size(), 1U);
  EXPECT_EQ(change->releases[0].description, "Detach DATABASE (@ref:pg-a)");
  EXPECT_EQ(config(app_, "DATABASE_URL"), "");
  EXPECT_TRUE(store_->list_attachments(app_.id, std::nullopt)->empty());
}

TEST_F(AddonStoreTest, DestroyDetachesEverywhereThenForgetRemovesIt) {
  auto a = store_->create_addon(app_, owner_, postgres({"pg-a"}, {"DATABASE"}));
  ASSERT_TRUE(
      store_->attach_addon(owner_, {a->addon.id, other_.id, {"DB"}, std::nullopt, false}).ok());
  ASSERT_TRUE(store_->finish_provisioning(a->addon.id, "{}", "postgres://a").ok());
  auto destroyed = store_->destroy_addon(owner_, a->addon.id);
  ASSERT_TRUE(destroyed.ok());
  EXPECT_EQ(destroyed->first.state, "deprovisioning");
  EXPECT_EQ(destroyed->second.releases.size(), 2U);
  EXPECT_EQ(config(app_, "DATABASE_URL"), "");
  EXPECT_EQ(config(other_, "DB_URL"), "");
  EXPECT_EQ(store_->addons_in_state("deprovisioning")->size(), 1U);
  ASSERT_TRUE(store_->forget_addon(a->addon.id).ok());
  EXPECT_FALSE(store_->find_addon("pg-a").ok());
}

TEST_F(AddonStoreTest, FailedProvisioningFreesTheAttachmentName) {
  auto a = store_->create_addon(app_, owner_, postgres({"pg-a"}, {"DATABASE"}));
  auto failed = store_->fail_provisioning(a->addon.id, "server down");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state, "deprovisioned");
  EXPECT_EQ(failed->provision_message, "server down");
  EXPECT_TRUE(store_->create_addon(app_, owner_, postgres({"pg-b"}, {"DATABASE"})).ok());
}

TEST_F(AddonStoreTest, DeletingTheBillingAppDeprovisionsAndDetachesFromOthers) {
  auto a = store_->create_addon(app_, owner_, postgres({"pg-a"}, {"DATABASE"}));
  ASSERT_TRUE(
      store_->attach_addon(owner_, {a->addon.id, other_.id, {"DB"}, std::nullopt, false}).ok());
  ASSERT_TRUE(store_->finish_provisioning(a->addon.id, "{}", "postgres://a").ok());
  auto changed = store_->delete_app(app_.id);
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 1U);
  EXPECT_EQ(changed->front().app_id, other_.id);
  EXPECT_EQ(config(other_, "DB_URL"), "");
  EXPECT_EQ(store_->find_addon("pg-a")->state, "deprovisioning");
  EXPECT_TRUE(store_->list_addons(std::nullopt)->empty());  // billing app gone: not listed
}

TEST_F(AddonStoreTest, RenameKeepsNamesUnique) {
  auto a = store_->create_addon(app_, owner_, postgres({"pg-a"}, {"DATABASE"}));
  auto b = store_->create_addon(app_, owner_, postgres({"pg-b"}, {"OTHER"}));
  EXPECT_FALSE(store_->rename_addon(b->addon.id, "pg-a").ok());
  auto renamed = store_->rename_addon(b->addon.id, "reporting-db");
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->id, b->addon.id);
  EXPECT_EQ(store_->find_addon("reporting-db")->id, b->addon.id);
}

}  // namespace
}  // namespace slipway::store
