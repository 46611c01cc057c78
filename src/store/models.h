// Plain records the store hands out. They carry no behaviour and no SQL.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace slipway::store {

struct Account {
  std::string id;
  std::string email;
  std::string name;
  std::string created_at;
  std::string updated_at;
};

// The Unix users (and groups, same numbers) apps' dynos run as: [kFirstAppUid, kLastAppUid].
// 200000 is above Debian's login users (1000-59999), nobody (65534) and systemd's dynamic users
// (61184-65519); the top stays below 2^31 for tools that keep uids in signed integers.
constexpr std::int64_t kFirstAppUid = 200000;
constexpr std::int64_t kLastAppUid = 2147483646;

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
  std::optional<std::int64_t> unix_uid;  // its dynos' user and group; set for every app
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
  std::optional<std::string> output_secret;  // set when a release phase runs (its output)
  std::string created_at;
  std::string updated_at;
  bool current = false;
};

struct Slug {
  std::string id;
  std::string app_id;
  std::map<std::string, std::string> process_types;
  std::optional<std::string> commit;
  std::optional<std::string> commit_description;
  std::optional<std::string> buildpack_provided_description;
  std::string stack;
  std::optional<std::string> blob_sha256;  // set once the archive is uploaded and checked
  std::optional<std::int64_t> size;
  std::string created_at;
  std::string updated_at;
};

struct NewSlug {
  std::map<std::string, std::string> process_types;
  std::optional<std::string> commit;
  std::optional<std::string> commit_description;
  std::optional<std::string> buildpack_provided_description;
  std::string stack;
};

struct FormationEntry {
  std::string id;
  std::string app_id;
  std::string type;
  std::int64_t quantity = 0;
  std::string size;
  std::string created_at;
  std::string updated_at;
};

// One requested formation change; unset fields stay as they are.
struct FormationUpdate {
  std::string type;
  std::optional<std::int64_t> quantity;  // absolute
  std::optional<std::int64_t> delta;     // relative ("+1", "-1")
  std::optional<std::string> size;       // canonical size name
};

// A build of pushed or uploaded source into a slug (Heroku's Build API).
struct Build {
  std::string id;
  std::string app_id;
  std::string status;  // pending, succeeded, failed
  std::string user_id;
  std::string user_email;
  std::string source_url;
  std::optional<std::string> source_version;  // the commit, for git pushes
  std::optional<std::string> source_checksum;
  std::vector<std::string> buildpacks;  // as used (or asked for, while pending)
  std::optional<std::string> slug_id;
  std::optional<std::string> release_id;
  std::string output_secret;  // the capability in output_stream_url (grants reading the log)
  std::string created_at;
  std::string updated_at;
};

struct NewBuild {
  std::string source_url;
  std::optional<std::string> source_version;
  std::optional<std::string> source_checksum;
  std::vector<std::string> buildpacks;
};

// An uploaded source tarball (POST /sources), referenced by builds through its URL.
struct Source {
  std::string id;
  std::string account_id;
  std::optional<std::string> blob_sha256;  // set once uploaded
  std::optional<std::int64_t> size;
  std::string created_at;
};

struct ConfigChangeOutcome {
  ConfigVars config;
  Release release;
};

}  // namespace slipway::store
