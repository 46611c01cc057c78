// Fuzzes what the git server reads from clients and from git http-backend: the commands at the
// start of a receive-pack request (read to refuse an oversized push in git's protocol) and CGI
// header blocks. A parsed request's refusal is well-formed pkt-lines naming every ref.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "build/git_http_backend.h"
#include "build/receive_pack_request.h"
#include "fuzz_check.h"

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Walks pkt-lines to the end, checking each length; returns their payloads (flush-pkts as "").
std::vector<std::string_view> packets(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    FUZZ_CHECK(s.size() >= 4);
    std::size_t length = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      FUZZ_CHECK(hex(s[i]) >= 0);
      length = length * 16 + static_cast<std::size_t>(hex(s[i]));
    }
    if (length == 0) length = 4;
    FUZZ_CHECK(length >= 4 && length <= s.size() && length <= 4096 + 100);
    out.push_back(s.substr(4, length - 4));
    s.remove_prefix(length);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto commands = slipway::build::parse_receive_pack_commands(input)) {
    FUZZ_CHECK(!commands->refs.empty());
    for (const auto& ref : commands->refs) {
      FUZZ_CHECK(ref.starts_with("refs/"));
      FUZZ_CHECK(ref.find_first_of(std::string_view(" \n\0", 3)) == std::string::npos);
    }
    const std::string refusal =
        slipway::build::receive_pack_refusal(*commands, input.substr(0, 3000), "e", "r");
    const bool side_band = commands->capabilities.count("side-band-64k") != 0 ||
                           commands->capabilities.count("side-band") != 0;
    // With side-band every packet fits the 1000-byte side-band limit, and the report is what
    // band 1 carries.
    std::string report;
    for (const auto payload : packets(refusal)) {
      if (!side_band) continue;
      FUZZ_CHECK(payload.size() + 4 <= 1000);
      if (!payload.empty() && payload[0] == '\1') report.append(payload.substr(1));
    }
    if (!side_band) report = refusal;
    const bool reports = commands->capabilities.count("report-status") != 0 ||
                         commands->capabilities.count("report-status-v2") != 0;
    FUZZ_CHECK(reports == !report.empty());
    if (reports) {
      FUZZ_CHECK(report.starts_with("000dunpack e\n") && report.ends_with("0000"));
      for (const auto& ref : commands->refs) {
        FUZZ_CHECK(report.find("ng " + ref + " r\n") != std::string::npos);
      }
      packets(report);
    }
  }

  if (auto header = slipway::build::parse_cgi_header(input)) {
    FUZZ_CHECK(header->status >= 100 && header->status <= 599);
    for (const auto& [name, value] : header->fields) {
      FUZZ_CHECK(!name.empty());
      FUZZ_CHECK(value.find('\n') == std::string::npos && value.find('\r') == std::string::npos);
    }
  }
  return 0;
}
