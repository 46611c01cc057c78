// The start of a receive-pack request (what `git push` POSTs to /<app>.git/git-receive-pack):
// its pkt-line commands, read only to answer a refused push in git's own protocol, so git shows
// the reason ("remote: ..." and "! [remote rejected] main -> main (...)") where a bare HTTP
// error would show as "RPC failed; HTTP 413".
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace slipway::build {

struct ReceivePackCommands {
  std::vector<std::string> refs;       // the refs the push updates, in order
  std::set<std::string> capabilities;  // from the first command ("report-status", ...)
};

// Parses the commands at the start of `body` (which may be cut anywhere after them): pkt-lines
// "<old> <new> <ref>", the first with "\0<capabilities>", up to a flush-pkt. Push certificates
// and anything malformed are errors.
Result<ReceivePackCommands> parse_receive_pack_commands(std::string_view body);

// A pkt-line: four hex digits of length (including themselves), then the payload.
std::string pkt_line(std::string_view payload);

// A complete receive-pack result refusing every ref: `message` goes to the pusher's terminal
// (side-band 2, when the client asked for side-band), then the report: "unpack <unpack_error>"
// and "ng <ref> <reason>" for each ref (only when the client asked for report-status).
std::string receive_pack_refusal(const ReceivePackCommands& commands, std::string_view message,
                                 std::string_view unpack_error, std::string_view reason);

}  // namespace slipway::build
