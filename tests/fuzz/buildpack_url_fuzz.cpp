// Fuzzes buildpack URLs (untrusted: what `heroku buildpacks:set` stores): never a crash, and what
// is accepted can be handed to git/curl by argv without being taken for an option.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "build/buildpack_fetch.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view url(reinterpret_cast<const char*>(data), size);
  auto ref = slipway::build::parse_buildpack_url(url);
  if (!ref.ok()) {
    FUZZ_CHECK(ref.error().message.rfind("Invalid buildpack", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(!ref->location.empty() && ref->location.front() != '-');
  FUZZ_CHECK(ref->git_ref.empty() || ref->git_ref.front() != '-');
  for (const char c : ref->location) FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
  FUZZ_CHECK(!ref->url.empty() && !ref->name.empty());
  return 0;
}
