// Fuzzes log-line framing (what log sessions filter on): parse_origin finds the source and
// process inside the line, and filters never match a line whose origin cannot be parsed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "logs/log_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto origin = slipway::logs::parse_origin(line);
  if (origin) {
    FUZZ_CHECK(origin->source.data() >= line.data());
    FUZZ_CHECK(origin->process.data() + origin->process.size() <= line.data() + line.size());
  }
  FUZZ_CHECK(slipway::logs::matches({}, line));  // no filter matches everything
  for (const auto& filter :
       {slipway::logs::LogFilter{"app", ""}, slipway::logs::LogFilter{"", "web"},
        slipway::logs::LogFilter{"heroku", "router"}}) {
    if (slipway::logs::matches(filter, line)) FUZZ_CHECK(origin.has_value());
  }
  return 0;
}
