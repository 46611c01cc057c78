// Fuzzes the Procfile parser (untrusted: it comes with the app's code): it never crashes, what it
// accepts is within its limits and well-formed, and what it refuses says where.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "build/procfile.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = slipway::build::parse_procfile(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().message.rfind("Procfile ", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(parsed->size() <= slipway::build::kMaxProcessTypes);
  for (const auto& [type, command] : *parsed) {
    FUZZ_CHECK(!type.empty() && type.size() <= slipway::build::kMaxProcessTypeLength);
    for (const char c : type) {
      FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-');
    }
    FUZZ_CHECK(!command.empty());
    FUZZ_CHECK(command.find('\n') == std::string::npos);
    FUZZ_CHECK(command.find('\0') == std::string::npos);
    FUZZ_CHECK(command.front() != ' ' && command.back() != ' ');
  }
  return 0;
}
