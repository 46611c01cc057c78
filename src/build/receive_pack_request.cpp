#include "build/receive_pack_request.h"

#include <optional>

#include "build/push_protocol.h"

namespace slipway::build {
namespace {

constexpr std::size_t kMaxCommands = 10000;
constexpr std::size_t kMaxRefBytes = 4096;

Error malformed(const std::string& why) {
  return make_error(ErrorCode::kBadRequest, "malformed receive-pack request: " + why);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The next pkt-line's payload (nullopt for a flush-pkt), advancing `body`.
Result<std::optional<std::string_view>> next_pkt(std::string_view& body) {
  if (body.size() < 4) return malformed("cut short");
  std::size_t length = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const int d = hex_digit(body[i]);
    if (d < 0) return malformed("bad pkt-line length");
    length = length * 16 + static_cast<std::size_t>(d);
  }
  if (length == 0) {
    body.remove_prefix(4);
    return std::optional<std::string_view>{};
  }
  if (length < 4) return malformed("bad pkt-line length");
  if (body.size() < length) return malformed("cut short");
  const std::string_view payload = body.substr(4, length - 4);
  body.remove_prefix(length);
  return std::optional<std::string_view>{payload};
}

std::string hex4(std::size_t n) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out(4, '0');
  for (int i = 3; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[n & 0xf];
    n >>= 4;
  }
  return out;
}

}  // namespace

Result<ReceivePackCommands> parse_receive_pack_commands(std::string_view body) {
  ReceivePackCommands out;
  bool first = true;
  for (;;) {
    auto pkt = next_pkt(body);
    if (!pkt) return pkt.error();
    if (!*pkt) break;  // the flush-pkt after the commands
    std::string_view line = **pkt;
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (line.starts_with("shallow ")) continue;  // a push from a shallow clone
    if (first) {
      const auto nul = line.find('\0');
      if (nul != std::string_view::npos) {
        std::string_view caps = line.substr(nul + 1);
        line = line.substr(0, nul);
        while (!caps.empty()) {
          const auto space = caps.find(' ');
          if (space != 0) out.capabilities.emplace(caps.substr(0, space));
          if (space == std::string_view::npos) break;
          caps.remove_prefix(space + 1);
        }
      }
      if (line == "push-cert") return malformed("push certificates are not supported");
      first = false;
    }
    // "<old> <new> <ref>"
    const auto a = line.find(' ');
    const auto b = a == std::string_view::npos ? a : line.find(' ', a + 1);
    if (b == std::string_view::npos) return malformed("bad command");
    const std::string_view ref = line.substr(b + 1);
    if (!is_object_id(line.substr(0, a)) || !is_object_id(line.substr(a + 1, b - a - 1)) ||
        !ref.starts_with("refs/") || ref.size() > kMaxRefBytes ||
        ref.find_first_of(std::string_view(" \0\n", 3)) != std::string_view::npos) {
      return malformed("bad command");
    }
    if (out.refs.size() >= kMaxCommands) return malformed("too many commands");
    out.refs.emplace_back(ref);
  }
  if (out.refs.empty()) return malformed("no commands");
  return out;
}

std::string pkt_line(std::string_view payload) { return hex4(payload.size() + 4).append(payload); }

std::string receive_pack_refusal(const ReceivePackCommands& commands, std::string_view message,
                                 std::string_view unpack_error, std::string_view reason) {
  const bool side_band = commands.capabilities.count("side-band-64k") != 0 ||
                         commands.capabilities.count("side-band") != 0;
  // side-band allows 1000-byte packets, side-band-64k 65520; keep every packet under 1000.
  constexpr std::size_t kMaxBandPayload = 990;
  std::string out;
  if (side_band) {
    std::string_view rest = message;
    while (!rest.empty()) {
      const std::string_view piece = rest.substr(0, kMaxBandPayload);
      rest.remove_prefix(piece.size());
      out += pkt_line(std::string("\2").append(piece));
    }
  }
  if (commands.capabilities.count("report-status") != 0 ||
      commands.capabilities.count("report-status-v2") != 0) {
    std::string report = pkt_line(std::string("unpack ").append(unpack_error).append("\n"));
    for (const auto& ref : commands.refs) {
      report += pkt_line("ng " + ref + " " + std::string(reason) + "\n");
    }
    report += "0000";
    if (side_band) {
      std::string_view rest = report;
      while (!rest.empty()) {
        const std::string_view piece = rest.substr(0, kMaxBandPayload);
        rest.remove_prefix(piece.size());
        out += pkt_line(std::string("\1").append(piece));
      }
    } else {
      out += report;
    }
  }
  if (side_band) out += "0000";
  return out;
}

}  // namespace slipway::build
