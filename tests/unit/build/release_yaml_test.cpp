#include "build/release_yaml.h"

#include <gtest/gtest.h>

#include <string>

namespace slipway::build {
namespace {

using Map = std::map<std::string, std::string>;
using List = std::vector<std::string>;

ReleaseInfo parse_ok(std::string_view text) {
  auto parsed = parse_release_yaml(text);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message) << "\n" << text;
  return parsed.ok() ? *parsed : ReleaseInfo{};
}

std::string error_of(std::string_view text) {
  auto parsed = parse_release_yaml(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.error().message;
}

// What the built-in and fixture buildpacks print (buildpacks/*/bin/release).
TEST(ReleaseYaml, TheBuiltInBuildpacksOutput) {
  auto node = parse_ok("---\naddons: []\ndefault_process_types:\n  web: npm start\n");
  EXPECT_TRUE(node.addons.empty());
  EXPECT_EQ(node.default_process_types, (Map{{"web", "npm start"}}));
  auto python = parse_ok("---\naddons: []\ndefault_process_types: {}\n");
  EXPECT_TRUE(python.default_process_types.empty());
  auto hello = parse_ok(
      "---\nconfig_vars:\n  HELLO_BUILDPACK: \"yes\"\ndefault_process_types:\n"
      "  web: python3 -m http.server $PORT\n");
  EXPECT_EQ(hello.config_vars, (Map{{"HELLO_BUILDPACK", "yes"}}));
  EXPECT_EQ(hello.default_process_types, (Map{{"web", "python3 -m http.server $PORT"}}));
}

// The shape of Heroku's Ruby buildpack output: a list at the key's indentation, ${VAR:-x}.
TEST(ReleaseYaml, HerokuStyleOutput) {
  auto info = parse_ok(
      "---\n"
      "addons:\n"
      "- heroku-postgresql\n"
      "- 'heroku-redis:mini'\n"
      "config_vars:\n"
      "    LANG: en_US.UTF-8\n"
      "    RAILS_ENV: production   # a comment\n"
      "    EMPTY: \n"
      "    NULLISH: ~\n"
      "default_process_types:\n"
      "    console: bin/rails console\n"
      "    rake: bundle exec rake\n"
      "    web: bin/rails server -p ${PORT:-5000} -e $RAILS_ENV\n");
  EXPECT_EQ(info.addons, (List{"heroku-postgresql", "heroku-redis:mini"}));
  EXPECT_EQ(
      info.config_vars,
      (Map{{"LANG", "en_US.UTF-8"}, {"RAILS_ENV", "production"}, {"EMPTY", ""}, {"NULLISH", ""}}));
  EXPECT_EQ(info.default_process_types,
            (Map{{"console", "bin/rails console"},
                 {"rake", "bundle exec rake"},
                 {"web", "bin/rails server -p ${PORT:-5000} -e $RAILS_ENV"}}));
}

TEST(ReleaseYaml, QuotedScalarsAndKeys) {
  auto info = parse_ok(
      "default_process_types:\n"
      "  web: \"echo \\\"a: b\\\" \\u00e9\\t#not a comment\"\n"
      "  'worker': 'it''s: fine # still'\n"
      "  \"clock\": \"\\x41\\/\\\\\"   # comment\n");
  EXPECT_EQ(info.default_process_types, (Map{{"web", "echo \"a: b\" \xC3\xA9\t#not a comment"},
                                             {"worker", "it's: fine # still"},
                                             {"clock", "A/\\"}}));
}

TEST(ReleaseYaml, FlowCollections) {
  auto info = parse_ok(
      "addons: [heroku-postgresql, \"heroku-redis\" , 'x',]  # trailing comma\n"
      "config_vars: {A: \"1\", 'B': two words, C: }\n"
      "default_process_types: {web: \"npm start\", worker: node w.js}\n");
  EXPECT_EQ(info.addons, (List{"heroku-postgresql", "heroku-redis", "x"}));
  EXPECT_EQ(info.config_vars, (Map{{"A", "1"}, {"B", "two words"}, {"C", ""}}));
  EXPECT_EQ(info.default_process_types, (Map{{"web", "npm start"}, {"worker", "node w.js"}}));
}

TEST(ReleaseYaml, EmptyNullAndMissingSections) {
  EXPECT_TRUE(parse_ok("").default_process_types.empty());
  EXPECT_TRUE(parse_ok("---\n").default_process_types.empty());
  EXPECT_TRUE(parse_ok("--- # nothing\n...\n").addons.empty());
  auto info = parse_ok("addons:\nconfig_vars: ~\ndefault_process_types: null\n");
  EXPECT_TRUE(info.addons.empty() && info.config_vars.empty() &&
              info.default_process_types.empty());
}

TEST(ReleaseYaml, UnknownTopLevelKeysAreIgnoredWithWhateverTheyHold) {
  auto info = parse_ok(
      "---\n"
      "buildpack_version: 1.2\n"
      "nested:\n"
      "  deeper:\n"
      "    - {a: [1, 2]}\n"
      "    - |\n"
      "      block text: with colons\n"
      "default_process_types:\n"
      "  web: ./server\n"
      "trailing: &anchor value\n");
  EXPECT_EQ(info.default_process_types, (Map{{"web", "./server"}}));
}

TEST(ReleaseYaml, CrlfCommentsAndByteOrderMark) {
  auto info = parse_ok("\xEF\xBB\xBF---\r\n# comment\r\ndefault_process_types:\r\n  web: a b\r\n");
  EXPECT_EQ(info.default_process_types, (Map{{"web", "a b"}}));
}

TEST(ReleaseYaml, ClearErrors) {
  EXPECT_EQ(error_of("default_process_types:\n  web:\n"),
            "bin/release output line 1: process type `web` has no command");
  EXPECT_EQ(error_of("default_process_types:\n  web: a\n    nested: b\n"),
            "bin/release output line 3: bad indentation (nested values are not supported under "
            "`default_process_types`)");
  EXPECT_EQ(error_of("default_process_types:\n  web: |\n    npm start\n"),
            "bin/release output line 2: block scalars (`|`, `>`) are not supported; use a quoted "
            "string");
  EXPECT_EQ(error_of("default_process_types:\n  web: \"npm\n    start\"\n"),
            "bin/release output line 2: unterminated quoted string (multi-line strings are not "
            "supported)");
  EXPECT_EQ(error_of("default_process_types:\n  web: echo a: b\n"),
            "bin/release output line 2: `echo a: b` contains `: `; quote the value");
  EXPECT_EQ(error_of("default_process_types:\n  - web\n"),
            "bin/release output line 2: `default_process_types` must be a map, not a list");
  EXPECT_EQ(error_of("default_process_types: npm start\n"),
            "bin/release output line 1: `default_process_types` must be a map of names to values");
  EXPECT_EQ(error_of("addons: heroku-postgresql\n"),
            "bin/release output line 1: `addons` must be a list");
  EXPECT_EQ(error_of("addons:\n  a: b\n"),
            "bin/release output line 2: `addons` must be a list of `- item` lines");
  EXPECT_EQ(error_of("default_process_types:\n  web: *alias\n"),
            "bin/release output line 2: anchors, aliases and tags are not supported");
  EXPECT_EQ(error_of("default_process_types:\n  w eb: a\n"),
            "bin/release output line 1: `w eb` is not a process type name (letters, digits, _ "
            "and -)");
  EXPECT_EQ(error_of("default_process_types:\n  web: a\n  web: b\n"),
            "bin/release output line 1: `web` appears twice in `default_process_types`");
  EXPECT_EQ(error_of("addons: []\naddons: []\n"),
            "bin/release output line 2: `addons` appears twice");
  EXPECT_EQ(error_of("---\na: 1\n---\nb: 2\n"),
            "bin/release output line 3: only one YAML document is supported");
  EXPECT_EQ(error_of("- a\n- b\n"),
            "bin/release output line 1: the output must be a map (`key: value` lines), not a list");
  EXPECT_EQ(error_of("  indented: a\n"), "bin/release output line 1: unexpected indentation");
  EXPECT_EQ(error_of("just text\n"),
            "bin/release output line 1: expected `key: value`, found `just text`");
  EXPECT_EQ(error_of("addons: [a, b\n"),
            "bin/release output line 1: expected `,` or `]` (flow collections must fit on one "
            "line)");
  EXPECT_EQ(error_of("addons: [a, [b]]\n"),
            "bin/release output line 1: nested collections are not supported");
  EXPECT_EQ(error_of("default_process_types:\n\tweb: a\n"),
            "bin/release output line 2: tabs cannot be used for indentation");
  EXPECT_EQ(error_of("default_process_types: {web: \"\\q\"}\n"),
            "bin/release output line 1: invalid escape `\\q` in a quoted string");
  EXPECT_EQ(error_of("config_vars: {} extra\n"), "bin/release output line 1: unexpected `extra`");
}

TEST(ReleaseYaml, Limits) {
  EXPECT_EQ(error_of(std::string(kMaxReleaseYamlBytes + 1, '#')),
            "bin/release output is larger than 1024 KiB");
  std::string many = "config_vars:\n";
  for (std::size_t i = 0; i <= kMaxReleaseYamlEntries; ++i) {
    many += "  V" + std::to_string(i) + ": x\n";
  }
  EXPECT_EQ(error_of(many), "bin/release output line 1: more than 10000 entries");
}

}  // namespace
}  // namespace slipway::build
