// Identifiers: random UUIDs and random tokens from the OS's CSPRNG (through OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace slipway {

// A random (version 4) UUID in its canonical lower-case 36-character form.
std::string new_uuid();

// `bytes` random bytes, hex-encoded (so the string is twice as long).
std::string random_hex(std::size_t bytes);

// A uniformly random integer in [0, bound).
unsigned random_below(unsigned bound);

bool is_uuid(std::string_view text);

}  // namespace slipway
