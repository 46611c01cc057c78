#include "common/ids.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "common/encoding.h"

namespace slipway {
namespace {

void fill_random(unsigned char* out, std::size_t size) {
  // RAND_bytes only fails when the OS entropy source is broken; nothing sensible can go on then.
  if (RAND_bytes(out, static_cast<int>(size)) != 1) throw std::runtime_error("RAND_bytes failed");
}

}  // namespace

std::string new_uuid() {
  std::array<unsigned char, 16> b{};
  fill_random(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string hex = hex_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  fill_random(reinterpret_cast<unsigned char*>(raw.data()), raw.size());
  return hex_encode(raw);
}

unsigned random_below(unsigned bound) {
  // Rejection sampling keeps the distribution uniform.
  const std::uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
  std::uint32_t v = 0;
  do {
    fill_random(reinterpret_cast<unsigned char*>(&v), sizeof v);
  } while (v >= limit);
  return v % bound;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace slipway
