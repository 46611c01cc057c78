// Fuzzes the push channel between the pre-receive hook and the control plane: the frame reader
// (fed the input whole and in pieces of every size the input's first byte picks: both must yield
// the same frames), and the push message and exit status parsers (what they accept re-encodes
// to an equivalent message).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "build/push_protocol.h"
#include "fuzz_check.h"

namespace {

using slipway::build::Frame;
using slipway::build::FrameReader;

// Every frame the reader yields, and whether it stopped on an error.
std::pair<std::vector<Frame>, bool> read_all(std::string_view input, std::size_t piece) {
  FrameReader reader;
  std::vector<Frame> frames;
  bool failed = false;
  std::size_t at = 0;
  while (!failed) {
    if (at < input.size()) {
      reader.feed(input.substr(at, piece));
      at += piece;
    }
    for (;;) {
      auto frame = reader.next();
      if (!frame) {
        failed = true;
        break;
      }
      if (!*frame) break;
      FUZZ_CHECK((*frame)->payload.size() <= slipway::build::kMaxFramePayload);
      frames.push_back(std::move(**frame));
    }
    if (at >= input.size()) break;
  }
  return {frames, failed};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto [whole, whole_failed] = read_all(input, input.size() + 1);
  const std::size_t piece = input.empty() ? 1 : static_cast<unsigned char>(input[0]) % 7 + 1;
  const auto [pieces, pieces_failed] = read_all(input, piece);
  FUZZ_CHECK(whole_failed == pieces_failed);
  FUZZ_CHECK(whole.size() == pieces.size());
  std::string reencoded;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    FUZZ_CHECK(whole[i].type == pieces[i].type && whole[i].payload == pieces[i].payload);
    reencoded += slipway::build::encode_frame(whole[i].type, whole[i].payload);
  }
  // Frames re-encode to exactly the bytes they were read from.
  FUZZ_CHECK(input.substr(0, reencoded.size()) == reencoded);

  // The input as a push message: accepted messages survive a round trip unchanged.
  if (auto message = slipway::build::parse_push_message(input)) {
    FUZZ_CHECK(slipway::build::is_object_id(message->push.new_sha));
    FUZZ_CHECK(message->push.archive.is_absolute());
    const std::string encoded = slipway::build::encode_push_message(*message);
    auto again = slipway::build::parse_push_message(encoded);
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->token == message->token && again->push.ref == message->push.ref &&
               again->push.archive == message->push.archive &&
               again->push.app_id == message->push.app_id);
    FUZZ_CHECK(slipway::build::encode_push_message(*again) == encoded);
  }
  for (const auto& frame : whole) {
    if (frame.type == slipway::build::FrameType::kPush) {
      (void)slipway::build::parse_push_message(frame.payload);
    }
  }

  // The input as an exit status: accepted exactly when it re-encodes to itself.
  if (auto status = slipway::build::parse_exit_status(input)) {
    FUZZ_CHECK(*status >= 0 && *status <= 255);
    FUZZ_CHECK(slipway::build::encode_exit_status(*status) == input);
  }
  return 0;
}
