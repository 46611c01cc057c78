// The push channel between a repository's pre-receive hook (`slipway git-hook pre-receive`) and
// the control plane (build::PushListener), over a Unix socket. It crosses a process boundary, so
// both directions are parsed strictly.
//
// A frame is one type byte, a 4-byte big-endian payload length, then the payload (at most
// kMaxFramePayload bytes):
//
//   hook -> control plane   'Q'  the push: "key=value\n" lines (see PushMessage), sent once
//   control plane -> hook   'O'  output for the pusher (the hook copies it to its stdout, which
//                                git relays as "remote:" lines); any number of them
//                           'X'  the hook's exit status, decimal "0".."255"; the last frame
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace slipway::build {

inline constexpr std::size_t kMaxFramePayload = std::size_t{64} * 1024;

enum class FrameType : char { kPush = 'Q', kOutput = 'O', kExit = 'X' };

struct Frame {
  FrameType type = FrameType::kOutput;
  std::string payload;
};

// One frame on the wire. Output longer than kMaxFramePayload must be split by the caller.
std::string encode_frame(FrameType type, std::string_view payload);
// Writes one whole frame to a connected socket (retrying short writes, no SIGPIPE); false once
// the other side is gone.
bool send_frame(int fd, FrameType type, std::string_view payload);

// Reassembles frames from a byte stream fed in arbitrary pieces. An unknown type or an oversized
// length is an error that sticks: the connection is then closed.
class FrameReader {
 public:
  void feed(std::string_view bytes);
  // The next complete frame, nullopt if more bytes are needed, or the error.
  Result<std::optional<Frame>> next();
  // Bytes fed but not yet returned as frames.
  std::size_t buffered() const { return buffer_.size() - offset_; }

 private:
  std::string buffer_;
  std::size_t offset_ = 0;
  std::optional<Error> error_;
};

// What was pushed, as the handler sees it.
struct PushRequest {
  std::string app_id;
  std::string account_id;         // the pusher
  std::string ref;                // "refs/heads/main" or "refs/heads/master"
  std::string old_sha;            // all zeros when the branch is new
  std::string new_sha;            // the pushed commit
  std::filesystem::path archive;  // `git archive --format=tar.gz` of new_sha
};

// The 'Q' frame's content: the push and the one-time token that proves the hook was started by
// this control plane for this receive-pack.
struct PushMessage {
  std::string token;
  PushRequest push;
};

std::string encode_push_message(const PushMessage& message);
// Strict: every key once ("version", "token", "app", "account", "ref", "old", "new",
// "archive"), version 1, hex tokens and object ids, an absolute archive path without "..".
Result<PushMessage> parse_push_message(std::string_view payload);

std::string encode_exit_status(int status);
// "0".."255", nothing else.
Result<int> parse_exit_status(std::string_view payload);

// An object id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
bool is_object_id(std::string_view text);
// The all-zeros object id git uses for "no object" (a created or deleted ref).
bool is_null_object_id(std::string_view text);

}  // namespace slipway::build
