#include "build/procfile.h"

#include <gtest/gtest.h>

#include <string>

namespace slipway::build {
namespace {

using Types = std::map<std::string, std::string>;

std::string error_of(std::string_view text) {
  auto parsed = parse_procfile(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.error().message;
}

TEST(Procfile, ParsesTypesAndCommands) {
  auto parsed = parse_procfile(
      "web: gunicorn slipwaydemo.wsgi --access-logfile -\n"
      "release: python manage.py migrate --noinput\n"
      "worker:node -e \"setInterval(() => console.log('x: y'), 1000)\"\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed,
            (Types{{"web", "gunicorn slipwaydemo.wsgi --access-logfile -"},
                   {"release", "python manage.py migrate --noinput"},
                   {"worker", "node -e \"setInterval(() => console.log('x: y'), 1000)\""}}));
}

TEST(Procfile, IgnoresBlankLinesCommentsAndSurroundingWhitespace) {
  auto parsed = parse_procfile(
      "# the web process\n\n   \t\nweb:   bin/serve --port $PORT   \n  # indented comment\n"
      "  clock :  bin/clock # runs every minute\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed,
            (Types{{"web", "bin/serve --port $PORT"}, {"clock", "bin/clock # runs every minute"}}));
}

TEST(Procfile, AcceptsCrlfAByteOrderMarkAndNoFinalNewline) {
  auto parsed = parse_procfile("\xEF\xBB\xBFweb: a\r\nworker_2-x: b c\r\nlast: d");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, (Types{{"web", "a"}, {"worker_2-x", "b c"}, {"last", "d"}}));
}

TEST(Procfile, EmptyFileHasNoTypes) {
  auto parsed = parse_procfile("");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
  parsed = parse_procfile("# nothing yet\n\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(Procfile, ErrorsNameTheLine) {
  EXPECT_EQ(error_of("web: a\n\nbad line here\n"),
            "Procfile line 3: `bad line here` is not `type: command`");
  EXPECT_EQ(error_of("web: a\r\nweb: b\r\n"),
            "Procfile line 2: process type `web` is declared twice (also on line 1)");
  EXPECT_EQ(error_of("# c\nworker:   \n"), "Procfile line 2: process type `worker` has no command");
  EXPECT_EQ(error_of("web worker: a\n"),
            "Procfile line 1: `web worker: a` is not `type: command` (process type names use "
            "letters, digits, `_` and `-`)");
  EXPECT_EQ(error_of(": a\n").substr(0, 18), "Procfile line 1: `");
  EXPECT_EQ(error_of("we.b: a\n").substr(0, 18), "Procfile line 1: `");
  EXPECT_EQ(error_of(std::string("web: a\0b\n", 9)), "Procfile line 1: contains a NUL byte");
}

TEST(Procfile, LongAndControlCharacterLinesAreQuotedSafely) {
  const std::string message = error_of("\x1b[31m" + std::string(200, 'x') + "\n");
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  EXPECT_NE(message.find("...` is not `type: command`"), std::string::npos) << message;
  EXPECT_LT(message.size(), 140U);
}

TEST(Procfile, Limits) {
  EXPECT_EQ(error_of(std::string(kMaxProcfileBytes + 1, '#')), "Procfile is larger than 256 KiB");
  EXPECT_EQ(error_of(std::string(kMaxProcessTypeLength + 1, 'a') + ": x\n"),
            "Procfile line 1: process type name longer than 63 characters");
  std::string many;
  for (std::size_t i = 0; i <= kMaxProcessTypes; ++i) many += "t" + std::to_string(i) + ": x\n";
  EXPECT_EQ(error_of(many), "Procfile line 257: more than 256 process types");
}

}  // namespace
}  // namespace slipway::build
