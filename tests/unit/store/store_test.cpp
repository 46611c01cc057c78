#include "store/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/ids.h"
#include "store/migrations.h"

namespace slipway::store {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slipway-store-test-" + random_hex(6));
    fs::create_directories(dir_);
    auto opened = Store::open(dir_ / "state.db");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
    auto account = store_->ensure_account("dev@example.com");
    ASSERT_TRUE(account.ok());
    owner_ = *account;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  App make_app(const std::string& name) {
    auto app = store_->create_app({name, "us", "heroku-24"}, owner_);
    EXPECT_TRUE(app.ok()) << (app.ok() ? "" : app.error().message);
    return *app;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
  Account owner_;
};

TEST_F(StoreTest, MigrationsAreRecordedAndIdempotent) {
  store_.reset();
  auto again = Store::open(dir_ / "state.db");
  ASSERT_TRUE(again.ok());
  store_ = std::move(*again);
  EXPECT_EQ(store_->integrity_check().value(), "ok");
  Database db(dir_ / "state.db");
  auto q = db.prepare("SELECT COUNT(*), MAX(version) FROM schema_migrations");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.integer(0), static_cast<std::int64_t>(all_migrations().size()));
  EXPECT_EQ(q.integer(1), all_migrations().back().version);
}

TEST_F(StoreTest, EnsureAccountIsIdempotent) {
  auto again = store_->ensure_account("dev@example.com");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, owner_.id);
}

TEST_F(StoreTest, TokensAuthenticateOnlyExactly) {
  auto token = store_->issue_token(owner_.id, "test");
  ASSERT_TRUE(token.ok());
  auto who = store_->authenticate(*token);
  ASSERT_TRUE(who.ok());
  ASSERT_TRUE(who->has_value());
  EXPECT_EQ((*who)->email, "dev@example.com");
  std::string tampered = *token;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_FALSE(store_->authenticate(tampered)->has_value());
  EXPECT_FALSE(store_->authenticate("HRKU-short")->has_value());
  EXPECT_FALSE(store_->authenticate("")->has_value());
  // Only a hash of the secret is stored: the plaintext appears nowhere in the database.
  Database db(dir_ / "state.db");
  auto q = db.prepare("SELECT selector || secret_sha256 FROM api_tokens");
  while (q.step()) EXPECT_EQ(q.text(0).find(token->substr(21)), std::string::npos);
}

TEST_F(StoreTest, CreateAppMakesInitialRelease) {
  const auto app = make_app("my-app");
  auto releases = store_->list_releases(app.id);
  ASSERT_TRUE(releases.ok());
  ASSERT_EQ(releases->size(), 1U);
  EXPECT_EQ(releases->front().version, 1);
  EXPECT_EQ(releases->front().description, "Initial release");
  EXPECT_TRUE(releases->front().current);
  EXPECT_EQ(releases->front().user_email, "dev@example.com");
}

TEST_F(StoreTest, DuplicateNameIsConflictAndChangesNothing) {
  make_app("taken");
  auto again = store_->create_app({"taken", "us", "heroku-24"}, owner_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->list_apps(owner_.id)->size(), 1U);
}

TEST_F(StoreTest, FindByNameOrId) {
  const auto app = make_app("findme");
  EXPECT_EQ(store_->find_app("findme")->id, app.id);
  EXPECT_EQ(store_->find_app(app.id)->name, "findme");
  auto missing = store_->find_app("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, ConfigChangesMakeNumberedReleasesWithSnapshots) {
  const auto app = make_app("cfg");
  auto first = store_->change_config(app.id, owner_, {{"A", "1"}, {"B", "2"}}, 32 * 1024, "s");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->release.version, 2);
  EXPECT_EQ(first->release.description, "Set A, B config vars");
  auto second = store_->change_config(app.id, owner_, {{"A", std::nullopt}}, 32 * 1024, "s");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->release.version, 3);
  EXPECT_EQ(second->release.description, "Remove A config vars");
  EXPECT_EQ(second->config, (ConfigVars{{"B", "2"}}));
  auto v2 = store_->find_release(app.id, "2");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->config, (ConfigVars{{"A", "1"}, {"B", "2"}}));
  EXPECT_FALSE(v2->current);
  EXPECT_TRUE(store_->find_release(app.id, second->release.id)->current);
}

TEST_F(StoreTest, OversizedConfigIsRefusedWholeAndChangesNothing) {
  const auto app = make_app("big");
  ASSERT_TRUE(store_->change_config(app.id, owner_, {{"KEEP", "x"}}, 100, "s").ok());
  auto refused = store_->change_config(
      app.id, owner_, {{"KEEP", std::nullopt}, {"BIG", std::string(200, 'x')}}, 100, "s");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidParams);
  EXPECT_EQ(*store_->config_vars(app.id), (ConfigVars{{"KEEP", "x"}}));
  EXPECT_EQ(store_->list_releases(app.id)->size(), 2U);
}

TEST_F(StoreTest, RenameMaintenanceAndDelete) {
  const auto app = make_app("old-name");
  make_app("other");
  auto clash = store_->update_app(app.id, {std::string("other"), std::nullopt});
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
  auto renamed = store_->update_app(app.id, {std::string("new-name"), true});
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->name, "new-name");
  EXPECT_TRUE(renamed->maintenance);
  ASSERT_TRUE(store_->change_config(app.id, owner_, {{"A", "1"}}, 1024, "s").ok());
  ASSERT_TRUE(store_->delete_app(app.id).ok());
  EXPECT_FALSE(store_->find_app(app.id).ok());
  EXPECT_TRUE(store_->list_releases(app.id)->empty());
  EXPECT_TRUE(store_->config_vars(app.id)->empty());
  EXPECT_FALSE(store_->delete_app(app.id).ok());
  EXPECT_EQ(store_->integrity_check().value(), "ok");
}

// A slug with an uploaded archive (the blob itself is not needed by the store).
std::string ready_slug(Store& store, const App& app, std::map<std::string, std::string> types) {
  NewSlug spec;
  spec.process_types = std::move(types);
  spec.stack = "heroku-24";
  auto slug = store.create_slug(app.id, spec, "upload-secret-hash");
  EXPECT_TRUE(slug.ok());
  EXPECT_TRUE(store.attach_slug_blob(slug->id, std::string(64, 'a'), 10).ok());
  return slug->id;
}

TEST_F(StoreTest, PendingReleaseIsNotCurrentUntilItSucceeds) {
  const App app = make_app("phased");
  const auto v2 = store_->release_slug(app.id, owner_, ready_slug(*store_, app, {{"web", "a"}}),
                                       "Deploy one", "s");
  ASSERT_TRUE(v2.ok());
  const auto slug3 = ready_slug(*store_, app, {{"web", "b"}, {"release", "migrate"}});
  auto v3 = store_->release_slug(app.id, owner_, slug3, "Deploy two", "s3cret");
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->status, "pending");
  EXPECT_FALSE(v3->current);
  EXPECT_EQ(store_->current_slug(app.id).value()->id, *v2->slug_id);  // v2 keeps serving

  auto by_output = store_->find_release_for_output(v3->id, "s3cret");
  ASSERT_TRUE(by_output.ok());
  EXPECT_EQ(by_output->version, 3);
  EXPECT_FALSE(store_->find_release_for_output(v3->id, "wrong").ok());

  auto done = store_->finish_release(v3->id, true);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "succeeded");
  EXPECT_TRUE(done->current);
  EXPECT_EQ(store_->current_slug(app.id).value()->id, slug3);
  EXPECT_FALSE(store_->finish_release(v3->id, false).ok());  // only pending releases end
}

TEST_F(StoreTest, FailedReleaseLeavesThePreviousOneCurrent) {
  const App app = make_app("phasefail");
  const auto v2 = store_->release_slug(app.id, owner_, ready_slug(*store_, app, {{"web", "a"}}),
                                       "Deploy one", "s");
  auto v3 = store_->release_slug(
      app.id, owner_, ready_slug(*store_, app, {{"web", "b"}, {"release", "x"}}), "two", "s");
  ASSERT_TRUE(store_->finish_release(v3->id, false).ok());
  const auto releases = store_->list_releases(app.id).value();
  ASSERT_EQ(releases.size(), 3U);
  EXPECT_EQ(releases[2].status, "failed");
  EXPECT_FALSE(releases[2].current);
  EXPECT_TRUE(releases[1].current);
  EXPECT_EQ(store_->current_slug(app.id).value()->id, *v2->slug_id);
}

TEST_F(StoreTest, BuildsGoFromPendingToFinishedOnce) {
  const App app = make_app("builder");
  NewBuild spec{"https://example/sources/1", "abc123", std::nullopt, {"heroku/nodejs"}};
  auto build = store_->create_build(app.id, owner_, spec, "out-secret");
  ASSERT_TRUE(build.ok());
  EXPECT_EQ(build->status, "pending");
  EXPECT_TRUE(store_->find_build_for_output(build->id, "out-secret").ok());
  EXPECT_FALSE(store_->find_build_for_output(build->id, "out-secre").ok());
  auto done = store_->finish_build(build->id, true, {"heroku/nodejs"}, "slug-1", "release-1");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "succeeded");
  EXPECT_EQ(done->slug_id, "slug-1");
  auto again = store_->finish_build(build->id, false, {}, std::nullopt, std::nullopt);
  EXPECT_EQ(again->status, "succeeded");  // a finished build stays as it ended
  EXPECT_EQ(store_->list_builds(app.id).value().size(), 1U);
  EXPECT_EQ(store_->find_build(app.id, build->id).value().source_version, "abc123");
}

TEST_F(StoreTest, InterruptedBuildsAndReleasePhasesFailOnRestart) {
  const App app = make_app("interrupted");
  auto build = store_->create_build(app.id, owner_, {"u", std::nullopt, std::nullopt, {}}, "s");
  auto release =
      store_->release_slug(app.id, owner_, ready_slug(*store_, app, {{"release", "x"}}), "d", "s");
  ASSERT_TRUE(build.ok() && release.ok());
  EXPECT_EQ(store_->fail_interrupted_work().value(), 2);
  EXPECT_EQ(store_->find_build(app.id, build->id).value().status, "failed");
  EXPECT_EQ(store_->find_release(app.id, release->id).value().status, "failed");
  EXPECT_EQ(store_->fail_interrupted_work().value(), 0);
}

TEST_F(StoreTest, ConfigChangeOfAnAppWithAReleasePhaseIsPendingButTheConfigIsNew) {
  const App app = make_app("cfgphase");
  const auto slug = ready_slug(*store_, app, {{"web", "w"}, {"release", "migrate"}});
  auto v2 = store_->release_slug(app.id, owner_, slug, "Deploy", "s2");
  ASSERT_TRUE(v2.ok());
  ASSERT_TRUE(store_->finish_release(v2->id, true).ok());

  auto changed = store_->change_config(app.id, owner_, {{"A", "1"}}, 1024, "s3");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->release.status, "pending");
  EXPECT_EQ(changed->release.slug_id, slug);
  EXPECT_FALSE(changed->release.current);
  EXPECT_TRUE(store_->find_release_for_output(changed->release.id, "s3").ok());
  EXPECT_EQ(*store_->config_vars(app.id), (ConfigVars{{"A", "1"}}));  // `heroku config`
  ASSERT_TRUE(store_->finish_release(changed->release.id, false).ok());
  EXPECT_EQ(*store_->config_vars(app.id), (ConfigVars{{"A", "1"}}));  // kept after a failure
  const auto releases = store_->list_releases(app.id).value();
  EXPECT_TRUE(releases[1].current);  // v2, with the old (empty) config, keeps serving
  EXPECT_TRUE(releases[1].config.empty());
}

TEST_F(StoreTest, ConfigChangeWithoutAReleasePhaseIsLiveAtOnceWithNoOutput) {
  const App app = make_app("cfgplain");
  ASSERT_TRUE(
      store_->release_slug(app.id, owner_, ready_slug(*store_, app, {{"web", "w"}}), "d", "s")
          .ok());
  auto changed = store_->change_config(app.id, owner_, {{"A", "1"}}, 1024, "s3");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->release.status, "succeeded");
  EXPECT_TRUE(changed->release.current);
  EXPECT_FALSE(changed->release.output_secret.has_value());
}

TEST_F(StoreTest, ConfigReleaseTakesThePendingDeploysSlugButNeverAFailedOnes) {
  const App app = make_app("cfgslug");
  const auto old_slug = ready_slug(*store_, app, {{"web", "old"}, {"release", "x"}});
  auto v2 = store_->release_slug(app.id, owner_, old_slug, "one", "s");
  ASSERT_TRUE(store_->finish_release(v2->id, true).ok());
  const auto new_slug = ready_slug(*store_, app, {{"web", "new"}, {"release", "x"}});
  auto v3 = store_->release_slug(app.id, owner_, new_slug, "two", "s");
  ASSERT_EQ(v3->status, "pending");
  // Made while v3 runs its phase: it carries v3's code, so v3 is not undone when it goes live.
  auto v4 = store_->change_config(app.id, owner_, {{"A", "1"}}, 1024, "s");
  EXPECT_EQ(v4->release.slug_id, new_slug);
  ASSERT_TRUE(store_->finish_release(v3->id, false).ok());
  ASSERT_TRUE(store_->finish_release(v4->release.id, false).ok());
  auto v5 = store_->change_config(app.id, owner_, {{"A", "2"}}, 1024, "s");
  EXPECT_EQ(v5->release.slug_id, old_slug);  // the failed deploy's code is not picked up
}

TEST_F(StoreTest, RollbackToAReleaseWithAReleasePhaseIsPendingAndRestoresItsConfig) {
  const App app = make_app("rollphase");
  ASSERT_TRUE(store_->change_config(app.id, owner_, {{"A", "old"}}, 1024, "s").ok());
  auto v3 = store_->release_slug(
      app.id, owner_, ready_slug(*store_, app, {{"web", "w"}, {"release", "x"}}), "d", "s");
  ASSERT_TRUE(store_->finish_release(v3->id, true).ok());
  auto v4 = store_->change_config(app.id, owner_, {{"A", "new"}}, 1024, "s");
  ASSERT_TRUE(store_->finish_release(v4->release.id, true).ok());

  auto v5 = store_->rollback(app.id, owner_, *store_->find_release(app.id, "3"), "s5");
  ASSERT_TRUE(v5.ok());
  EXPECT_EQ(v5->status, "pending");
  EXPECT_EQ(v5->description, "Rollback to v3");
  EXPECT_EQ(v5->config, (ConfigVars{{"A", "old"}}));
  EXPECT_EQ(*store_->config_vars(app.id), (ConfigVars{{"A", "old"}}));
  EXPECT_TRUE(store_->find_release(app.id, "4")->current);
}

TEST_F(StoreTest, DeployDefaultsFillMissingConfigVarsInTheSameRelease) {
  const App app = make_app("defaults");
  ASSERT_TRUE(store_->change_config(app.id, owner_, {{"MINE", "set by me"}}, 1024, "s").ok());
  const auto slug = ready_slug(*store_, app, {{"web", "w"}});
  auto v3 = store_->release_slug(app.id, owner_, slug, "Deploy", "s",
                                 {{"MINE", "default"}, {"NEW", "default"}});
  ASSERT_TRUE(v3.ok());
  const ConfigVars expected{{"MINE", "set by me"}, {"NEW", "default"}};
  EXPECT_EQ(v3->config, expected);
  EXPECT_EQ(*store_->config_vars(app.id), expected);
  EXPECT_EQ(store_->list_releases(app.id)->size(), 3U);  // no separate release for them
}

TEST_F(StoreTest, InterruptedConfigReleaseFailsOnRestartAndThePreviousStaysCurrent) {
  const App app = make_app("cfginterrupted");
  auto v2 = store_->release_slug(
      app.id, owner_, ready_slug(*store_, app, {{"web", "w"}, {"release", "x"}}), "d", "s");
  ASSERT_TRUE(store_->finish_release(v2->id, true).ok());
  auto v3 = store_->change_config(app.id, owner_, {{"A", "1"}}, 1024, "s");
  ASSERT_EQ(v3->release.status, "pending");
  EXPECT_EQ(store_->fail_interrupted_work().value(), 1);
  EXPECT_EQ(store_->find_release(app.id, "3")->status, "failed");
  EXPECT_TRUE(store_->find_release(app.id, "2")->current);
}

TEST_F(StoreTest, SourcesNeedTheirSecretAndBuildpackListsReplaceWhole) {
  auto source = store_->create_source(owner_.id, "hash-of-secret");
  ASSERT_TRUE(source.ok());
  EXPECT_FALSE(store_->find_source(source->id, "other").ok());
  auto uploaded = store_->attach_source_blob(source->id, std::string(64, 'b'), 42);
  ASSERT_TRUE(uploaded.ok());
  EXPECT_EQ(store_->find_source(source->id, "hash-of-secret").value().size, 42);

  const App app = make_app("packs");
  EXPECT_TRUE(store_->buildpack_installations(app.id).value().empty());
  ASSERT_TRUE(store_->set_buildpack_installations(app.id, {"heroku/python", "heroku/nodejs"}).ok());
  EXPECT_EQ(store_->buildpack_installations(app.id).value(),
            (std::vector<std::string>{"heroku/python", "heroku/nodejs"}));
  ASSERT_TRUE(store_->set_buildpack_installations(app.id, {}).ok());
  EXPECT_TRUE(store_->buildpack_installations(app.id).value().empty());
}

TEST_F(StoreTest, EveryAppGetsItsOwnUnixUidNeverReused) {
  const auto one = make_app("uid-one");
  const auto two = make_app("uid-two");
  ASSERT_TRUE(one.unix_uid && two.unix_uid);
  EXPECT_GE(*one.unix_uid, kFirstAppUid);
  EXPECT_EQ(*two.unix_uid, *one.unix_uid + 1);
  // A refused create takes no number.
  ASSERT_FALSE(store_->create_app({"uid-two", "us", "heroku-24"}, owner_).ok());
  // A destroyed app's number is not handed out again.
  ASSERT_TRUE(store_->delete_app(two.id).ok());
  const auto three = make_app("uid-three");
  ASSERT_TRUE(three.unix_uid);
  EXPECT_EQ(*three.unix_uid, *two.unix_uid + 1);
  // Stable: what lists and lookups say, and what survives reopening the store.
  EXPECT_EQ(store_->find_app("uid-one")->unix_uid, one.unix_uid);
  store_.reset();
  auto reopened = Store::open(dir_ / "state.db");
  ASSERT_TRUE(reopened.ok());
  store_ = std::move(*reopened);
  EXPECT_EQ(store_->find_app(one.id)->unix_uid, one.unix_uid);
  EXPECT_EQ(store_->find_app(three.id)->unix_uid, three.unix_uid);
  const auto four = make_app("uid-four");
  EXPECT_EQ(*four.unix_uid, *three.unix_uid + 1);
  std::set<std::int64_t> seen;
  const auto apps = store_->list_apps(std::nullopt);  // named: ranging over *temporary dangles
  ASSERT_TRUE(apps.ok());
  for (const auto& app : *apps) {
    ASSERT_TRUE(app.unix_uid) << app.name;
    EXPECT_TRUE(seen.insert(*app.unix_uid).second) << app.name;
  }
}

TEST_F(StoreTest, MigrationGivesExistingAppsDistinctUids) {
  // A store at schema version 2 (before app users) with two apps.
  const fs::path file = dir_ / "old.db";
  {
    Database db(file);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)");
    for (const auto& m : all_migrations()) {
      if (m.version > 2) break;
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations(version) VALUES (?)")
          .bind(1, std::int64_t{m.version})
          .run();
    }
    db.exec(
        "INSERT INTO accounts VALUES ('acc', 'old@example.com', 'old', 'now', 'now');"
        "INSERT INTO apps(id, name, owner_id, region, stack, build_stack, created_at, updated_at)"
        " VALUES ('id-b', 'first', 'acc', 'us', 'heroku-24', 'heroku-24', 'now', 'now'),"
        " ('id-a', 'second', 'acc', 'us', 'heroku-24', 'heroku-24', 'now', 'now');");
  }
  auto opened = Store::open(file);
  ASSERT_TRUE(opened.ok());
  auto& old_store = **opened;
  EXPECT_EQ(old_store.find_app("first")->unix_uid, kFirstAppUid);
  EXPECT_EQ(old_store.find_app("second")->unix_uid, kFirstAppUid + 1);
  auto account = old_store.ensure_account("old@example.com");
  ASSERT_TRUE(account.ok());
  auto created = old_store.create_app({"third", "us", "heroku-24"}, *account);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->unix_uid, kFirstAppUid + 2);
}

TEST_F(StoreTest, DatabaseFilesAreOwnerOnly) {
  const fs::path file = dir_ / "open.db";
  {  // made world-readable by an older version
    std::ofstream(file).close();
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
  }
  auto opened = Store::open(file);
  ASSERT_TRUE(opened.ok());
  ASSERT_TRUE((*opened)->ensure_account("x@example.com").ok());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const fs::path path = file.string() + suffix;
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << path;
  }
}

}  // namespace
}  // namespace slipway::store
