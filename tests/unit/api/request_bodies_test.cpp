#include "api/request_bodies.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace slipway::api {
namespace {

TEST(ParseAppCreate, EmptyBodyAndFields) {
  auto empty = parse_app_create("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->name);
  auto full = parse_app_create(R"({"name":"x1y","region":"us","stack":"heroku-24","extra":1})");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->name, "x1y");
  EXPECT_EQ(full->region, "us");
  EXPECT_EQ(full->stack, "heroku-24");
}

TEST(ParseAppCreate, WrongTypesAndMalformedJson) {
  auto bad_type = parse_app_create(R"({"name":5})");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.error().code, ErrorCode::kInvalidParams);
  auto malformed = parse_app_create(R"({"name":)");
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, ErrorCode::kBadRequest);
  EXPECT_FALSE(parse_app_create("[1,2]").ok());
  EXPECT_FALSE(parse_app_create("\"name\"").ok());
}

TEST(ParseAppUpdate, MaintenanceMustBeBoolean) {
  auto on = parse_app_update(R"({"maintenance":true})");
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(on->maintenance, true);
  EXPECT_FALSE(parse_app_update(R"({"maintenance":"yes"})").ok());
  EXPECT_FALSE(parse_app_update(R"({"name":["a"]})").ok());
}

TEST(ParseConfigPatch, SetsAndRemoves) {
  auto changes = parse_config_patch(R"({"A":"1","B_2":null,"_c":""})");
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 3U);
  EXPECT_EQ(changes->at("A"), "1");
  EXPECT_FALSE(changes->at("B_2").has_value());
  EXPECT_EQ(changes->at("_c"), "");
}

TEST(ParseConfigPatch, RefusesBadNamesAndValues) {
  for (const auto* body :
       {R"({"1A":"x"})", R"({"A-B":"x"})", R"({"":"x"})", R"({"A B":"x"})", R"({"__X":"x"})",
        R"({"A":1})", R"({"A":true})", R"({"A":{"b":1}})", R"({"A":["x"]})"}) {
    auto r = parse_config_patch(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidParams) << body;
  }
  EXPECT_FALSE(parse_config_patch("{").ok());
}

// {"<field>":<value>}, with the value as raw JSON text.
std::string body_with(std::string_view field, std::string_view value) {
  std::string body = R"({")";
  body.append(field).append(R"(":)").append(value).append("}");
  return body;
}

// A JSON string of plain text (no escaping needed).
std::string json_string(std::string_view s) {
  std::string out = "\"";
  out.append(s).append("\"");
  return out;
}

TEST(ParseLogSession, BlankBodyMeansDefaults) {
  for (const auto* body : {"", "{}", " \r\n\t"}) {
    auto s = parse_log_session(body);
    ASSERT_TRUE(s.ok()) << body;
    EXPECT_EQ(s->lines, 100) << body;
    EXPECT_FALSE(s->tail) << body;
    EXPECT_EQ(s->dyno, "") << body;
    EXPECT_EQ(s->source, "") << body;
  }
}

TEST(ParseLogSession, BodiesAsTheCliSendsThem) {
  auto full = parse_log_session(R"({"tail":true,"lines":100,"dyno":"web.1","source":"app"})");
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(full->tail);
  EXPECT_EQ(full->lines, 100);
  EXPECT_EQ(full->dyno, "web.1");
  EXPECT_EQ(full->source, "app");

  auto most = parse_log_session(R"({"lines":1500})");  // heroku logs -n 1500
  ASSERT_TRUE(most.ok());
  EXPECT_EQ(most->lines, 1500);
  EXPECT_FALSE(most->tail);

  // `--ps web` / `--process-type web` on a Cedar app is sent as "dyno"; sources as given.
  auto by_type = parse_log_session(R"({"source":"heroku","dyno":"web","lines":1,"tail":false})");
  ASSERT_TRUE(by_type.ok());
  EXPECT_EQ(by_type->lines, 1);
  EXPECT_EQ(by_type->dyno, "web");
  EXPECT_EQ(by_type->source, "heroku");

  for (const auto* dyno : {"router", "worker.2", "web-123-456", "clock_2", "Web.10"}) {
    auto s = parse_log_session(body_with("dyno", json_string(dyno)));
    ASSERT_TRUE(s.ok()) << dyno;
    EXPECT_EQ(s->dyno, dyno);
  }
}

TEST(ParseLogSession, NullsAndUnknownFieldsAreIgnored) {
  auto nulls = parse_log_session(R"({"lines":null,"tail":null,"dyno":null,"source":null})");
  ASSERT_TRUE(nulls.ok());
  EXPECT_EQ(nulls->lines, 100);
  EXPECT_FALSE(nulls->tail);
  EXPECT_EQ(nulls->dyno, "");
  EXPECT_EQ(nulls->source, "");
  // "type" is what the CLI sends for Fir apps only; it is not a filter here (as before).
  for (const auto* body : {R"({"type":"web"})", R"({"type":5,"extra":[1]})"}) {
    auto s = parse_log_session(body);
    ASSERT_TRUE(s.ok()) << body;
    EXPECT_EQ(s->dyno, "") << body;
  }
  // An empty filter means no filter; a well-formed source that no line has is not an error.
  auto empty = parse_log_session(R"({"dyno":"","source":""})");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->dyno, "");
  auto unknown = parse_log_session(R"({"source":"nonesuch"})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->source, "nonesuch");
}

TEST(ParseLogSession, RefusesNonObjects) {
  for (const auto* body : {"[1]", R"("lines")", "5", "null", "true"}) {
    auto s = parse_log_session(body);
    ASSERT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest) << body;
    EXPECT_EQ(s.error().message, "The request body must be a JSON object.") << body;
  }
  // A number too large for a double is malformed JSON to the parser.
  for (const auto* body : {"{", R"({"lines":)", R"({"lines":5}x)", "\xff", R"({"lines":1e400})"}) {
    auto s = parse_log_session(body);
    ASSERT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.error().code, ErrorCode::kBadRequest) << body;
    EXPECT_EQ(s.error().message, "The request body is not valid JSON.") << body;
  }
}

TEST(ParseLogSession, LinesMustBeAWholeNumberFrom1To1500) {
  for (const auto* lines : {"0", "-1", "-100", "1501", "5000", "9223372036854775807",
                            "-9223372036854775808", "9223372036854775808", "18446744073709551615",
                            "1e3", "100.0", "1.5", R"("100")", "true", "[100]", R"({"n":100})"}) {
    auto s = parse_log_session(body_with("lines", lines));
    ASSERT_FALSE(s.ok()) << lines;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidParams) << lines;
    EXPECT_EQ(s.error().message, "`lines` must be a whole number from 1 to 1500.") << lines;
  }
}

TEST(ParseLogSession, TailMustBeABoolean) {
  for (const auto* tail : {R"("yes")", R"("true")", "1", "0", "[]"}) {
    auto s = parse_log_session(body_with("tail", tail));
    ASSERT_FALSE(s.ok()) << tail;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidParams) << tail;
    EXPECT_EQ(s.error().message, "`tail` must be true or false.") << tail;
  }
}

TEST(ParseLogSession, RefusesBadDynoAndSourceNames) {
  const std::string longest = json_string(std::string(64, 'w'));
  const std::string too_long = json_string(std::string(65, 'w'));
  for (const std::string field : {"dyno", "source"}) {
    auto ok = parse_log_session(body_with(field, longest));
    ASSERT_TRUE(ok.ok()) << field;
    EXPECT_EQ(field == "dyno" ? ok->dyno : ok->source, std::string(64, 'w'));
    for (const std::string_view value : std::initializer_list<std::string_view>{
             too_long, R"("web 1")", R"("web/1")", R"("web:1")", R"("w\u00e9b")", R"("web\n")",
             R"("web\u0000")", R"("*")", "5", "true", R"(["web"])", R"({"a":1})"}) {
      auto s = parse_log_session(body_with(field, value));
      ASSERT_FALSE(s.ok()) << field << "=" << value;
      EXPECT_EQ(s.error().code, ErrorCode::kInvalidParams) << field << "=" << value;
      EXPECT_EQ(s.error().message, "`" + field + "` must be a name like `web`, `web.1` or `app`.")
          << field << "=" << value;
    }
  }
}

TEST(NormalizeBuildpack, MapsTheCliFormsOfTheBuiltInsAndKeepsFetchableUrls) {
  EXPECT_EQ(normalize_buildpack("heroku/nodejs").value(), "heroku/nodejs");
  EXPECT_EQ(normalize_buildpack("urn:buildpack:heroku/python").value(), "heroku/python");
  EXPECT_EQ(normalize_buildpack("procfile").value(), "heroku/procfile");
  EXPECT_EQ(normalize_buildpack(
                "https://buildpack-registry.s3.amazonaws.com/buildpacks/heroku/nodejs.tgz")
                .value(),
            "heroku/nodejs");
  EXPECT_EQ(normalize_buildpack("file:///srv/hello").value(), "file:///srv/hello");
  EXPECT_EQ(normalize_buildpack("/srv/hello").value(), "/srv/hello");
  EXPECT_EQ(normalize_buildpack("https://git.example/pack.git#v2").value(),
            "https://git.example/pack.git#v2");
}

TEST(NormalizeBuildpack, RefusesWhatCannotBeFetchedWithAReason) {
  for (const char* bad : {"", "heroku/ruby", "ruby", "ftp://x/y", "relative/path", "/a/../b",
                          "https://x/a b", "urn:buildpack:heroku/go"}) {
    auto got = normalize_buildpack(bad);
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidParams);
    EXPECT_NE(got.error().message.find("heroku/nodejs"), std::string::npos);
  }
  EXPECT_FALSE(normalize_buildpack(std::string(3000, 'a')).ok());
}

TEST(ParseBuildpackUpdates, AcceptsTheCliBodyAndRefusesDuplicatesAndBadShapes) {
  auto ok = parse_buildpack_updates(
      R"({"updates":[{"buildpack":"urn:buildpack:heroku/nodejs"},{"buildpack":"/srv/p"}]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<std::string>{"heroku/nodejs", "/srv/p"}));
  EXPECT_TRUE(parse_buildpack_updates(R"({"updates":[]})").value().empty());
  for (const char* bad :
       {R"({})", R"({"updates":{}})", R"({"updates":[1]})", R"({"updates":[{"buildpack":2}]})",
        R"({"updates":[{"buildpack":"nodejs"},{"buildpack":"heroku/nodejs"}]})"}) {
    EXPECT_FALSE(parse_buildpack_updates(bad).ok()) << bad;
  }
}

TEST(ParseBuildCreate, ReadsTheSourceBlobAndOptionalBuildpacks) {
  auto ok = parse_build_create(
      R"({"source_blob":{"url":"https://h/sources/a/b","version":"abc","checksum":null},)"
      R"("buildpacks":[{"url":"heroku/python"}]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->source_url, "https://h/sources/a/b");
  EXPECT_EQ(ok->version, "abc");
  EXPECT_EQ(ok->buildpacks, std::vector<std::string>{"heroku/python"});
  EXPECT_FALSE(
      parse_build_create(R"({"source_blob":{"url":"http://h/s.tgz","version":""}})")->version);
  for (const char* bad :
       {R"({})", R"({"source_blob":{}})", R"({"source_blob":{"url":""}})",
        R"({"source_blob":{"url":"https://h/s.tgz"},"buildpacks":[{"url":"heroku/go"}]})",
        R"({"source_blob":{"url":"https://h/s.tgz","version":7}})"}) {
    EXPECT_FALSE(parse_build_create(bad).ok()) << bad;
  }
}

TEST(ParseBuildCreate, TheSourceUrlIsAnyHttpOrHttpsUrl) {
  for (const char* good :
       {"https://example.com/app.tar.gz", "HTTP://127.0.0.1:8000/a.tgz?X-Amz-Signature=abc",
        "https://user:pw@codeload.github.com/o/r/tar.gz/main", "http://[::1]:80/x"}) {
    EXPECT_TRUE(is_source_url(good)) << good;
  }
  for (const char* bad :
       {"u", "ftp://example.com/a.tgz", "file:///etc/passwd", "https://", "https:///path",
        "http://user@/x", "https://:80/x", "https://exa mple.com/a.tgz", "https://h/\x01",
        "git@github.com:o/r.git", "-o/etc/x http://h/"}) {
    EXPECT_FALSE(is_source_url(bad)) << bad;
  }
  EXPECT_FALSE(is_source_url("https://h/" + std::string(2048, 'a')));
  const auto refused = parse_build_create(R"({"source_blob":{"url":"ftp://h/a.tgz"}})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidParams);
  EXPECT_NE(refused.error().message.find("http:// or https://"), std::string::npos);
}

}  // namespace
}  // namespace slipway::api
