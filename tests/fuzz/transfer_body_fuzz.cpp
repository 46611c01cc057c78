// Fuzzes the PGBackups request bodies (restores, pg:copy) and the URL redaction applied to what
// they carry: an accepted body has the URLs it needs, and a redacted URL never keeps a password.
#include <cstdint>
#include <string>
#include <string_view>

#include "api/transfer_views.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (const auto restore = slipway::api::parse_restore_body(body); restore.ok()) {
    FUZZ_CHECK(restore->backup_url.starts_with("http://") ||
               restore->backup_url.starts_with("https://"));
  }
  if (const auto copy = slipway::api::parse_copy_body(body); copy.ok()) {
    FUZZ_CHECK(copy->from_url.starts_with("postgres"));
    FUZZ_CHECK(copy->to_url.starts_with("postgres"));
  }
  const std::string shown = slipway::api::redact_url(body);
  FUZZ_CHECK(shown.size() <= body.size() + 3);
  if (body.starts_with("postgres://u:secret@")) {
    const std::string authority = shown.substr(0, shown.find('/', sizeof("postgres://")));
    FUZZ_CHECK(authority.find("secret") == std::string::npos);
  }
  return 0;
}
