// Plain records the store hands out. They carry no behaviour and no SQL.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace slipway::store {

struct Account {
  std::string id;
  std::string email;
  std::string name;
  std::string created_at;
  std::string updated_at;
};

struct App {
  std::string id;
  std::string name;
  std::string owner_id;
  std::string owner_email;
  std::string region;
  std::string stack;
  std::string build_stack;
  bool maintenance = false;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> released_at;
};

struct NewApp {
  std::string name;
  std::string region;
  std::string stack;
};

struct AppUpdate {
  std::optional<std::string> name;
  std::optional<bool> maintenance;
};

using ConfigVars = std::map<std::string, std::string>;
// A requested change: a value sets the key, nullopt removes it.
using ConfigChanges = std::map<std::string, std::optional<std::string>>;

struct Release {
  std::string id;
  std::string app_id;
  std::int64_t version = 0;
  std::string description;
  std::string status;
  std::string user_id;
  std::string user_email;
  ConfigVars config;
  std::optional<std::string> slug_id;
  std::string created_at;
  std::string updated_at;
  bool current = false;
};

struct ConfigChangeOutcome {
  ConfigVars config;
  Release release;
};

}  // namespace slipway::store
