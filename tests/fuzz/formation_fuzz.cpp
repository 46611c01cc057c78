// Fuzzes the formation update parsers (ps:scale / ps:type bodies): accepted updates always name
// a valid type, stay within the quantity limits and carry a canonical size.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/formation_updates.h"
#include "api/request_bodies.h"
#include "fuzz_check.h"

namespace {

void check(const slipway::store::FormationUpdate& u) {
  using slipway::api::kMaxDynosPerType;
  FUZZ_CHECK(slipway::api::validate_process_type(u.type).ok());
  FUZZ_CHECK(u.quantity || u.delta || u.size);
  FUZZ_CHECK(!u.quantity || (*u.quantity >= 0 && *u.quantity <= kMaxDynosPerType));
  FUZZ_CHECK(!u.delta || (*u.delta >= -kMaxDynosPerType && *u.delta <= kMaxDynosPerType));
  FUZZ_CHECK(!u.size || slipway::api::canonical_dyno_size(*u.size) == *u.size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto batch = slipway::api::parse_formation_batch(body); batch.ok()) {
    FUZZ_CHECK(!batch->empty());
    for (const auto& u : *batch) check(u);
  }
  if (auto single = slipway::api::parse_formation_single("web", body); single.ok()) check(*single);
  return 0;
}
