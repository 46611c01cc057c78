#include "build/receive_pack_request.h"

#include <gtest/gtest.h>

namespace slipway::build {
namespace {

const std::string kA = "1111111111111111111111111111111111111111";
const std::string kB = "2222222222222222222222222222222222222222";

std::string command(const std::string& ref, const std::string& caps = "") {
  std::string line = kA + " " + kB + " " + ref;
  if (!caps.empty()) line += std::string("\0", 1) + caps;
  return pkt_line(line);
}

TEST(PktLine, LengthIncludesItself) {
  EXPECT_EQ(pkt_line("a\n"), "0006a\n");
  EXPECT_EQ(pkt_line(""), "0004");
  EXPECT_EQ(pkt_line(std::string(0xfff - 4, 'x')).substr(0, 4), "0fff");
}

TEST(ParseReceivePackCommands, ReadsRefsAndCapabilitiesUpToTheFlush) {
  const std::string body =
      command("refs/heads/main", "report-status-v2 side-band-64k quiet object-format=sha1") +
      command("refs/heads/other") + "0000" + "PACK\x00\x00\x00\x02 and a truncated pack";
  auto parsed = parse_receive_pack_commands(body);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->refs, (std::vector<std::string>{"refs/heads/main", "refs/heads/other"}));
  EXPECT_EQ(parsed->capabilities.count("side-band-64k"), 1U);
  EXPECT_EQ(parsed->capabilities.count("report-status-v2"), 1U);
  EXPECT_EQ(parsed->capabilities.count("object-format=sha1"), 1U);
}

TEST(ParseReceivePackCommands, SkipsShallowLines) {
  auto parsed = parse_receive_pack_commands(pkt_line("shallow " + kA) +
                                            command("refs/heads/main", "report-status") + "0000");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->refs.size(), 1U);
}

TEST(ParseReceivePackCommands, RefusesMalformedRequests) {
  EXPECT_FALSE(parse_receive_pack_commands(""));
  EXPECT_FALSE(parse_receive_pack_commands("0000"));
  EXPECT_FALSE(parse_receive_pack_commands(command("refs/heads/main")));  // no flush
  EXPECT_FALSE(parse_receive_pack_commands("zzzz"));
  EXPECT_FALSE(parse_receive_pack_commands("0003"));
  EXPECT_FALSE(parse_receive_pack_commands("00ff" + kA));
  EXPECT_FALSE(parse_receive_pack_commands(
      pkt_line("push-cert" + std::string("\0", 1) + "report-status") + "0000"));
  EXPECT_FALSE(parse_receive_pack_commands(pkt_line(kA + " " + kB + " main") + "0000"));
  EXPECT_FALSE(parse_receive_pack_commands(pkt_line(kA + " nothex refs/heads/main") + "0000"));
}

TEST(ReceivePackRefusal, SideBandCarriesTheMessageAndTheReport) {
  auto commands = parse_receive_pack_commands(
      command("refs/heads/main", "report-status side-band-64k") + "0000");
  ASSERT_TRUE(commands);
  const std::string refusal =
      receive_pack_refusal(*commands, "too big\n", "push too large", "push too large");
  const std::string report = pkt_line("unpack push too large\n") +
                             pkt_line("ng refs/heads/main push too large\n") + "0000";
  EXPECT_EQ(refusal, pkt_line("\2too big\n") + pkt_line("\1" + report) + "0000");
}

TEST(ReceivePackRefusal, WithoutSideBandOnlyTheReport) {
  auto commands = parse_receive_pack_commands(command("refs/heads/main", "report-status") +
                                              command("refs/heads/x") + "0000");
  ASSERT_TRUE(commands);
  EXPECT_EQ(receive_pack_refusal(*commands, "ignored", "e", "r"),
            pkt_line("unpack e\n") + pkt_line("ng refs/heads/main r\n") +
                pkt_line("ng refs/heads/x r\n") + "0000");
}

}  // namespace
}  // namespace slipway::build
