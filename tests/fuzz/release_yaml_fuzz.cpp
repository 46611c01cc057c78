// Fuzzes the parser of bin/release output (untrusted: third-party buildpacks print it): it never
// crashes, what it accepts is within its limits, and process types are valid names with commands.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "build/release_yaml.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = slipway::build::parse_release_yaml(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().message.rfind("bin/release output ", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(parsed->addons.size() + parsed->config_vars.size() +
                 parsed->default_process_types.size() <=
             slipway::build::kMaxReleaseYamlEntries);
  for (const auto& addon : parsed->addons) FUZZ_CHECK(!addon.empty());
  for (const auto& [name, value] : parsed->config_vars) FUZZ_CHECK(!name.empty());
  for (const auto& [type, command] : parsed->default_process_types) {
    FUZZ_CHECK(!type.empty());
    for (const char c : type) {
      FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-');
    }
    FUZZ_CHECK(!command.empty());
  }
  return 0;
}
