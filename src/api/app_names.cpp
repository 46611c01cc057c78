#include "api/app_names.h"

#include <array>

#include "common/ids.h"

namespace slipway::api {
namespace {

constexpr std::array<std::string_view, 40> kAdjectives = {
    "ancient",  "aqueous", "blooming", "brave",    "calm",  "cold",   "crisp",      "damp",
    "dry",      "dusty",   "fierce",   "floating", "fresh", "frozen", "gentle",     "glacial",
    "golden",   "hidden",  "hollow",   "lively",   "lucid", "mighty", "misty",      "murmuring",
    "peaceful", "polar",   "quiet",    "radiant",  "rocky", "serene", "shielded",   "sleepy",
    "stark",    "still",   "sunny",    "tranquil", "vast",  "warm",   "whispering", "young"};

constexpr std::array<std::string_view, 40> kNouns = {
    "anchorage", "atoll",  "basin",  "bay",    "beach",  "brook",   "canyon", "cliffs",
    "coast",     "cove",   "creek",  "dawn",   "delta",  "dune",    "falls",  "fjord",
    "forest",    "garden", "glade",  "harbor", "island", "lagoon",  "lake",   "meadow",
    "mesa",      "oasis",  "ocean",  "peak",   "plains", "reef",    "ridge",  "river",
    "savannah",  "shore",  "sierra", "spire",  "summit", "thicket", "tundra", "valley"};

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Status validate_app_name(std::string_view name) {
  if (name.size() < 3) {
    return make_error(ErrorCode::kInvalidParams, "Name is too short (minimum is 3 characters)");
  }
  if (name.size() > 30) {
    return make_error(ErrorCode::kInvalidParams, "Name is too long (maximum is 30 characters)");
  }
  bool valid = is_lower(name.front()) && (is_lower(name.back()) || is_digit(name.back()));
  for (const char c : name) valid = valid && (is_lower(c) || is_digit(c) || c == '-');
  if (!valid) {
    return make_error(ErrorCode::kInvalidParams,
                      "Name must start with a letter, end with a letter or digit and can only "
                      "contain lowercase letters, digits, and dashes.");
  }
  return {};
}

std::string generate_app_name() {
  return std::string(kAdjectives[random_below(kAdjectives.size())]) + "-" +
         std::string(kNouns[random_below(kNouns.size())]) + "-" +
         std::to_string(10000 + random_below(90000));
}

}  // namespace slipway::api
