// A restore or copy replacing an add-on's database against a cancel or a plan change of the same
// add-on: the store lets exactly one of them go ahead, whatever the order.
#include <gtest/gtest.h>

#include <utility>

#include "../temp_dir.h"
#include "common/ids.h"
#include "store/store.h"

namespace slipway::store {
namespace {

class TransferReplacementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open(dir_ / "state.db");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    owner_ = *store_->ensure_account("dev@example.com");
    app_ = *store_->create_app({"shop", "us", "heroku-24"}, owner_);
    auto created = store_->create_addon(
        app_, owner_, NewAddon{"heroku-postgresql", "essential-0", {"pg-a"}, {"DATABASE"}});
    ASSERT_TRUE(created.ok()) << created.error().message;
    addon_id_ = created->addon.id;
    ASSERT_TRUE(store_->finish_provisioning(addon_id_, R"({"db":"d1"})", "postgres://a").ok());
  }

  // A restore into the add-on, or (into_addon false) a capture of it, which only reads it.
  Transfer transfer(bool into_addon) {
    NewTransfer spec;
    spec.app_id = app_.id;
    spec.addon_id = addon_id_;
    spec.from_type = "gof3r";
    spec.from_name = "BACKUP";
    spec.from_url = "https://example.com/b001.dump";
    spec.to_type = "pg_restore";
    spec.to_name = "DATABASE";
    spec.to_url = "postgres://a";
    if (into_addon) {
      spec.into_addon_id = addon_id_;
    } else {
      std::swap(spec.from_type, spec.to_type);
    }
    auto t = store_->create_transfer(spec);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return *t;
  }
  Transfer restore_into_addon() { return transfer(true); }

  Result<PlanChange> change_plan() {
    return store_->begin_plan_change(owner_, addon_id_, "standard-0", new_uuid());
  }

  slipway::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  Account owner_;
  App app_;
  std::string addon_id_;
};

TEST_F(TransferReplacementTest, APlanChangeWaitsForARestoreIntoTheAddonToFinish) {
  const auto restore = restore_into_addon();
  auto refused = change_plan();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_NE(refused.error().message.find("pg-a is being restored into"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(store_->plan_changes_in_progress()->empty());

  ASSERT_TRUE(store_->finish_transfer(restore.id, true, std::nullopt, std::nullopt).ok());
  EXPECT_TRUE(change_plan().ok());
}

TEST_F(TransferReplacementTest, OnceClaimedARestoreCannotBeCanceled) {
  const auto restore = restore_into_addon();
  ASSERT_TRUE(store_->claim_replacement(restore.id).ok());
  auto cancel = store_->cancel_transfer(restore.id);
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(store_->find_transfer_by_id(restore.id)->finished_at.has_value());
  EXPECT_FALSE(change_plan().ok());  // still unfinished
}

TEST_F(TransferReplacementTest, AfterARestartAClaimedRestoreIsLeftToBeSettled) {
  // Its swap may have committed: only the database server can tell (TransferService settles
  // it), so the restart does not mark it failed, while it does the others.
  const auto claimed = restore_into_addon();
  ASSERT_TRUE(store_->claim_replacement(claimed.id).ok());
  const auto unclaimed = restore_into_addon();
  EXPECT_EQ(store_->fail_interrupted_transfers().value(), 1);
  EXPECT_EQ(store_->find_transfer_by_id(unclaimed.id)->succeeded, false);
  EXPECT_FALSE(store_->find_transfer_by_id(claimed.id)->finished_at.has_value());
  auto pending = store_->interrupted_replacements();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1U);
  EXPECT_EQ(pending->at(0).transfer_id, claimed.id);
  EXPECT_EQ(pending->at(0).addon_id, addon_id_);
  ASSERT_TRUE(store_->finish_transfer(claimed.id, true, std::nullopt, std::nullopt).ok());
  EXPECT_TRUE(store_->interrupted_replacements()->empty());
}

TEST_F(TransferReplacementTest, ACanceledRestoreCannotBeClaimed) {
  const auto restore = restore_into_addon();
  ASSERT_TRUE(store_->cancel_transfer(restore.id).ok());
  auto claim = store_->claim_replacement(restore.id);
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.error().message, "canceled");
}

TEST_F(TransferReplacementTest, ARestoreQueuedBeforeAPlanChangeBeganCannotBeClaimedDuringIt) {
  // The restore was created while a plan change was already running (the API refuses new
  // plan changes, not new restores): it must not replace the database the change copies.
  ASSERT_TRUE(change_plan().ok());
  const auto restore = restore_into_addon();
  auto claim = store_->claim_replacement(restore.id);
  ASSERT_FALSE(claim.ok());
  EXPECT_EQ(claim.error().code, ErrorCode::kConflict);
  EXPECT_NE(claim.error().message.find("pg-a is changing plans (essential-0 to standard-0)"),
            std::string::npos)
      << claim.error().message;
}

TEST_F(TransferReplacementTest, ATransferOfAnotherKindDoesNotHoldThePlanBack) {
  transfer(/*into_addon=*/false);
  EXPECT_TRUE(change_plan().ok());
}

}  // namespace
}  // namespace slipway::store
