#include "api/views.h"

#include <gtest/gtest.h>

namespace slipway::api {
namespace {

store::App sample_app() {
  store::App app;
  app.id = "01234567-89ab-4cde-8f01-23456789abcd";
  app.name = "my-app";
  app.owner_id = "owner-id";
  app.owner_email = "dev@example.com";
  app.region = "us";
  app.stack = "heroku-24";
  app.build_stack = "heroku-22";
  app.created_at = "2025-01-01T00:00:00Z";
  app.updated_at = "2025-01-02T00:00:00Z";
  return app;
}

TEST(AppJson, HasEveryFieldAppsInfoRequires) {
  ApiSettings settings;
  settings.git_host = "localhost:5000";
  settings.apps_domain = "localhost";
  settings.router_port = 8080;
  const auto j = app_json(sample_app(), settings);
  EXPECT_EQ(j["name"], "my-app");
  EXPECT_EQ(j["owner"]["email"], "dev@example.com");
  EXPECT_EQ(j["region"]["name"], "us");
  EXPECT_EQ(j["stack"]["name"], "heroku-24");
  EXPECT_EQ(j["build_stack"]["name"], "heroku-22");
  EXPECT_EQ(j["git_url"], "https://localhost:5000/my-app.git");
  EXPECT_EQ(j["web_url"], "http://my-app.localhost:8080/");
  EXPECT_EQ(j["maintenance"], false);
  EXPECT_EQ(j["create_status"], "complete");
  EXPECT_EQ(j["generation"]["name"], "cedar");
  EXPECT_TRUE(j["slug_size"].is_null());
  EXPECT_TRUE(j["released_at"].is_null());
  // Fixed resources get the same id every time, and ids differ between stacks.
  EXPECT_EQ(j["stack"]["id"], app_json(sample_app(), settings)["stack"]["id"]);
  EXPECT_NE(j["stack"]["id"], j["build_stack"]["id"]);
}

TEST(AppJson, PortEightyIsLeftOutOfWebUrl) {
  ApiSettings settings;
  settings.apps_domain = "apps.example.org";
  settings.router_port = 80;
  EXPECT_EQ(app_json(sample_app(), settings)["web_url"], "http://my-app.apps.example.org/");
}

TEST(ReleaseJson, CarriesTheSdkFieldsTheCliReads) {
  store::Release r;
  r.id = "rel-id";
  r.version = 7;
  r.description = "Set A config vars";
  r.status = "succeeded";
  r.user_id = "u";
  r.user_email = "dev@example.com";
  r.current = true;
  const auto j = release_json(r, sample_app(), "https://api.example");
  EXPECT_EQ(j["version"], 7);
  EXPECT_EQ(j["user"]["email"], "dev@example.com");
  EXPECT_EQ(j["current"], true);
  EXPECT_EQ(j["eligible_for_rollback"], true);
  EXPECT_TRUE(j["output_stream_url"].is_null());
  EXPECT_TRUE(j["slug"].is_null());
  EXPECT_TRUE(j["addon_plan_names"].is_array());
  EXPECT_EQ(j["app"]["name"], "my-app");
  r.status = "failed";
  EXPECT_EQ(release_json(r, sample_app(), "https://api.example")["eligible_for_rollback"], false);
}

TEST(AccountJson, EmailAndId) {
  store::Account a{"acc-id", "dev@example.com", "dev", "t0", "t1"};
  const auto j = account_json(a);
  EXPECT_EQ(j["id"], "acc-id");
  EXPECT_EQ(j["email"], "dev@example.com");
  EXPECT_TRUE(j.contains("suspended_at"));
}

TEST(CollaboratorJson, OwnerRole) {
  const auto j = owner_collaborator_json(sample_app());
  EXPECT_EQ(j["user"]["email"], "dev@example.com");
  EXPECT_EQ(j["role"], "owner");
}

}  // namespace
}  // namespace slipway::api
