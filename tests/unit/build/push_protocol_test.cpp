#include "build/push_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace slipway::build {
namespace {

const std::string kOld(40, '0');
const std::string kNew = "0123456789abcdef0123456789abcdef01234567";

PushMessage sample() {
  PushMessage m;
  m.token = "00ff" + std::string(60, 'a');
  m.push.app_id = "7d0c1c5e-1f5b-4a3e-9a53-0c1b8b3f2a11";
  m.push.account_id = "a1b2c3d4-0000-4000-8000-000000000001";
  m.push.ref = "refs/heads/main";
  m.push.old_sha = kOld;
  m.push.new_sha = kNew;
  m.push.archive = "/data/git/pushes/abc.tar.gz";
  return m;
}

// Replaces the value of one "key=value" line in an encoded message.
std::string with_field(const std::string& encoded, const std::string& key,
                       const std::string& value) {
  const auto start = encoded.find(key + "=");
  const auto end = encoded.find('\n', start);
  return encoded.substr(0, start) + key + "=" + value + encoded.substr(end);
}

TEST(FrameReader, ReassemblesFramesFedByteByByte) {
  const std::string wire = encode_frame(FrameType::kOutput, "hello\n") +
                           encode_frame(FrameType::kOutput, "") +
                           encode_frame(FrameType::kExit, "0");
  FrameReader reader;
  std::vector<Frame> frames;
  for (const char c : wire) {
    reader.feed(std::string_view(&c, 1));
    for (;;) {
      auto frame = reader.next();
      ASSERT_TRUE(frame);
      if (!*frame) break;
      frames.push_back(**frame);
    }
  }
  ASSERT_EQ(frames.size(), 3U);
  EXPECT_EQ(frames[0].type, FrameType::kOutput);
  EXPECT_EQ(frames[0].payload, "hello\n");
  EXPECT_EQ(frames[1].payload, "");
  EXPECT_EQ(frames[2].type, FrameType::kExit);
  EXPECT_EQ(frames[2].payload, "0");
  EXPECT_EQ(reader.buffered(), 0U);
}

TEST(FrameReader, HeaderIsTypeThenBigEndianLength) {
  const std::string frame = encode_frame(FrameType::kPush, std::string(258, 'x'));
  ASSERT_EQ(frame.size(), 5U + 258U);
  EXPECT_EQ(frame.substr(0, 5), std::string("Q\0\0\x01\x02", 5));
}

TEST(FrameReader, UnknownTypeIsAnErrorThatSticks) {
  FrameReader reader;
  reader.feed("Z\0\0\0\0");
  EXPECT_FALSE(reader.next());
  reader.feed(encode_frame(FrameType::kExit, "0"));
  EXPECT_FALSE(reader.next());
}

TEST(FrameReader, OversizedLengthIsRefusedBeforeThePayloadArrives) {
  FrameReader reader;
  const std::uint32_t size = kMaxFramePayload + 1;
  std::string header = "O";
  for (int shift = 24; shift >= 0; shift -= 8) header.push_back(static_cast<char>(size >> shift));
  reader.feed(header);
  EXPECT_FALSE(reader.next());
}

TEST(FrameReader, WaitsForAnIncompleteFrame) {
  FrameReader reader;
  const std::string wire = encode_frame(FrameType::kOutput, "abc");
  reader.feed(wire.substr(0, 6));
  auto frame = reader.next();
  ASSERT_TRUE(frame);
  EXPECT_FALSE(*frame);
  reader.feed(wire.substr(6));
  frame = reader.next();
  ASSERT_TRUE(frame && *frame);
  EXPECT_EQ((*frame)->payload, "abc");
}

TEST(PushMessage, RoundTrips) {
  const PushMessage m = sample();
  auto parsed = parse_push_message(encode_push_message(m));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->token, m.token);
  EXPECT_EQ(parsed->push.app_id, m.push.app_id);
  EXPECT_EQ(parsed->push.account_id, m.push.account_id);
  EXPECT_EQ(parsed->push.ref, m.push.ref);
  EXPECT_EQ(parsed->push.old_sha, m.push.old_sha);
  EXPECT_EQ(parsed->push.new_sha, m.push.new_sha);
  EXPECT_EQ(parsed->push.archive, m.push.archive);
}

TEST(PushMessage, AcceptsSha256ObjectIds) {
  PushMessage m = sample();
  m.push.old_sha = std::string(64, '0');
  m.push.new_sha = std::string(64, 'e');
  EXPECT_TRUE(parse_push_message(encode_push_message(m)));
}

TEST(PushMessage, RefusesMissingRepeatedAndUnknownKeys) {
  const std::string good = encode_push_message(sample());
  const auto token_line = good.substr(
      good.find("token="), good.find('\n', good.find("token=")) - good.find("token=") + 1);
  std::string missing = good;
  missing.erase(missing.find(token_line), token_line.size());
  EXPECT_FALSE(parse_push_message(missing));
  EXPECT_FALSE(parse_push_message(good + token_line));
  EXPECT_FALSE(parse_push_message(good + "extra=1\n"));
  EXPECT_FALSE(parse_push_message(good.substr(0, good.size() - 1)));  // no final newline
  EXPECT_FALSE(parse_push_message(""));
  EXPECT_FALSE(parse_push_message(good + "no-equals\n"));
}

TEST(PushMessage, RefusesBadValues) {
  const std::string good = encode_push_message(sample());
  EXPECT_FALSE(parse_push_message(with_field(good, "version", "2")));
  EXPECT_FALSE(parse_push_message(with_field(good, "token", "")));
  EXPECT_FALSE(parse_push_message(with_field(good, "token", "XYZ")));
  EXPECT_FALSE(parse_push_message(with_field(good, "app", "")));
  EXPECT_FALSE(parse_push_message(with_field(good, "app", "../etc")));
  EXPECT_FALSE(parse_push_message(with_field(good, "account", "a b")));
  EXPECT_FALSE(parse_push_message(with_field(good, "ref", "main")));
  EXPECT_FALSE(parse_push_message(with_field(good, "ref", "refs/heads/a b")));
  EXPECT_FALSE(parse_push_message(with_field(good, "old", "1234")));
  EXPECT_FALSE(parse_push_message(with_field(good, "new", std::string(40, 'G'))));
  EXPECT_FALSE(parse_push_message(with_field(good, "new", std::string(64, 'a'))));  // mixed
  EXPECT_FALSE(parse_push_message(with_field(good, "archive", "relative/a.tar.gz")));
  EXPECT_FALSE(parse_push_message(with_field(good, "archive", "/data/../etc/passwd")));
  EXPECT_FALSE(parse_push_message(with_field(good, "archive", "/data//a")));
  EXPECT_FALSE(parse_push_message(with_field(good, "archive", "/")));
}

TEST(ExitStatus, RoundTripsAndRefusesAnythingElse) {
  for (const int status : {0, 1, 42, 255}) {
    auto parsed = parse_exit_status(encode_exit_status(status));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, status);
  }
  EXPECT_EQ(encode_exit_status(-1), "1");
  EXPECT_EQ(encode_exit_status(300), "1");
  for (const char* bad : {"", "256", "01", "-1", "1 ", "x", "1000"}) {
    EXPECT_FALSE(parse_exit_status(bad)) << bad;
  }
}

TEST(ObjectIds, NullIdsAreAllZeros) {
  EXPECT_TRUE(is_null_object_id(std::string(40, '0')));
  EXPECT_TRUE(is_null_object_id(std::string(64, '0')));
  EXPECT_FALSE(is_null_object_id(kNew));
  EXPECT_FALSE(is_object_id(std::string(39, '0')));
}

}  // namespace
}  // namespace slipway::build
