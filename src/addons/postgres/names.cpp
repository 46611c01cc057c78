#include "addons/postgres/names.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <system_error>

#include "common/crypto.h"
#include "common/encoding.h"
#include "common/fs.h"
#include "common/ids.h"

namespace slipway::addons::postgres {

Status check_addon_id(std::string_view addon_id) {
  const bool ok = !addon_id.empty() && addon_id.size() <= 64 &&
                  addon_id.find_first_not_of(
                      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789_-") == std::string_view::npos;
  if (ok) return {};
  return make_error(ErrorCode::kInvalidParams, "an add-on id is 1-64 letters, digits, '-' or '_'");
}

std::string database_name(std::string_view addon_id) {
  return "d" + sha256_hex("database:" + std::string(addon_id)).substr(0, 13);
}

std::string role_name(std::string_view addon_id) {
  return "u" + sha256_hex("role:" + std::string(addon_id)).substr(0, 13);
}

Result<std::string> role_password(const std::filesystem::path& key_file,
                                  std::string_view addon_id) {
  std::error_code ec;
  if (!std::filesystem::exists(key_file, ec)) {
    if (auto s = write_file_atomic(key_file, random_hex(32), 0600); !s) return s.error();
  }
  auto key = read_file(key_file);
  if (!key || key->size() < 32) {
    return make_error(ErrorCode::kInternal, "cannot read the credentials key " + key_file.string());
  }
  const std::string message = "password:" + std::string(addon_id);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &length) == nullptr) {
    return make_error(ErrorCode::kInternal, "HMAC failed");
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

}  // namespace slipway::addons::postgres
