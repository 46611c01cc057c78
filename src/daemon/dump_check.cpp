#include "daemon/dump_check.h"

#include <fstream>
#include <map>
#include <utility>

namespace slipway::daemon {

namespace {
constexpr std::string_view kMagic = "PGDMP";
constexpr std::size_t kMaxDifferencesShown = 3;
}  // namespace

bool has_dump_magic(std::string_view head) { return head.starts_with(kMagic); }

Status check_dump_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string head(kMagic.size(), '\0');
  if (!in || !in.read(head.data(), static_cast<std::streamsize>(head.size()))) {
    return make_error(ErrorCode::kInvalidParams, "the file is empty or could not be read");
  }
  if (!has_dump_magic(head)) {
    return make_error(ErrorCode::kInvalidParams,
                      "the file is not a PostgreSQL custom-format dump (pg_dump -Fc): it does "
                      "not start with PGDMP");
  }
  return {};
}

Verification compare_counts(const std::vector<TableRows>& dumped,
                            const std::vector<TableRows>& restored) {
  std::map<std::pair<std::string, std::string>, std::int64_t> found;
  for (const auto& t : restored) found[{t.schema, t.table}] = t.rows;
  std::vector<std::string> differences;
  std::int64_t rows = 0;
  for (const auto& t : dumped) {
    rows += t.rows;
    const std::string name = t.schema + "." + t.table;
    const auto it = found.find({t.schema, t.table});
    if (it == found.end()) {
      differences.push_back(name + ": missing after restore");
    } else if (it->second != t.rows) {
      differences.push_back(name + ": " + std::to_string(t.rows) + " rows dumped, " +
                            std::to_string(it->second) + " restored");
    }
  }
  if (differences.empty()) {
    return {true, "Verified: " + std::to_string(dumped.size()) + " tables, " +
                      std::to_string(rows) + " rows match"};
  }
  std::string message = "Verification failed: " + std::to_string(differences.size()) + " of " +
                        std::to_string(dumped.size()) + " tables differ (";
  for (std::size_t i = 0; i < differences.size() && i < kMaxDifferencesShown; ++i) {
    message += (i ? "; " : "") + differences[i];
  }
  if (differences.size() > kMaxDifferencesShown) message += "; …";
  return {false, message + ")"};
}

}  // namespace slipway::daemon
