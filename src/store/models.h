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

// A provisioned backing service (Heroku's add-on), owned by its billing app.
struct Addon {
  std::string id;
  std::string name;  // "postgresql-shaped-12345": unique across the installation
  std::string app_id;
  std::string app_name;  // empty once the billing app is gone (the add-on is deprovisioning)
  std::string service;   // "heroku-postgresql"
  std::string plan;      // canonical plan name without the service: "essential-0"
  std::string state;     // provisioning, provisioned, deprovisioning, deprovisioned
  std::string created_by;
  // The provider's private record of the resource (holds credentials; never sent to clients).
  std::optional<std::string> resource_json;
  std::optional<std::string> url;  // what attachments export as <NAME>_URL, once provisioned
  std::optional<std::string> provision_message;
  std::vector<std::string> config_vars;  // the config vars its attachments set on its app
  std::string created_at;
  std::string updated_at;
};

// An add-on attached to an app under a name: the app gets <name>_URL.
struct AddonAttachment {
  std::string id;
  std::string name;  // "DATABASE", "HEROKU_POSTGRESQL_GOLD"
  std::optional<std::string> namespace_name;
  std::string app_id;
  std::string app_name;
  Addon addon;
  std::string created_at;
  std::string updated_at;
  std::string config_var() const { return name + "_URL"; }
};

struct NewAddon {
  std::string service;
  std::string plan;
  // The add-on's name: the first of these not taken. A name the user asked for is the only one.
  std::vector<std::string> name_candidates;
  // The first attachment's name, likewise ("DATABASE", then HEROKU_POSTGRESQL_<COLOR>s).
  std::vector<std::string> attachment_candidates;
};

struct NewAttachment {
  std::string addon_id;
  std::string app_id;
  std::vector<std::string> name_candidates;  // the first free one is used
  std::optional<std::string> namespace_name;
  // When the only candidate is taken: replace that attachment (confirmed by the user) instead
  // of refusing.
  bool replace = false;
};

// What an add-on change did: the releases it made (one per app whose config changed).
struct AddonChange {
  std::vector<Release> releases;
};

// A change of an add-on's plan (`heroku addons:upgrade`), carried out by the add-on worker:
// pending (the new resource being made) → cutover (the app in maintenance, the data copied) →
// switched (the add-on and its config vars point at the new resource) → done; or failed, with
// the add-on left as it was. The old resource is kept until keep_source_until.
struct PlanChange {
  std::string id;
  std::string addon_id;
  std::string addon_name;
  std::string app_id;  // the add-on's billing app: its maintenance covers the cut-over
  std::string service;
  std::string from_plan;
  std::string to_plan;
  std::string resource_key;  // the provider's key for the new resource (never the add-on id)
  std::string state;
  std::string source_json;  // the resource it moves from
  std::optional<std::string> target_json;
  std::optional<std::string> target_url;
  bool maintenance_before = false;  // the app's own setting, restored after the cut-over
  std::optional<std::string> message;
  std::optional<std::string> keep_source_until;  // ISO 8601; then the old resource is released
  bool source_released = false;
  std::string created_by;
  std::string created_at;
  std::string updated_at;
};

// A daily backup of an add-on at `hour`:00 in `timezone` (pg:backups:schedule). It belongs to
// the add-on, not to the app's config or the database's contents: restores and plan changes
// keep it; destroying the add-on removes it.
struct BackupSchedule {
  std::string id;
  std::string addon_id;
  std::string name;  // the attachment's config var, "DATABASE_URL"
  int hour = 0;      // 0-23, local time in `timezone`
  std::string timezone;
  std::optional<std::string> last_run_at;  // UTC, ISO 8601
  std::string next_run_at;                 // UTC, ISO 8601
  std::string created_at;
  std::string updated_at;
};

struct NewBackupSchedule {
  std::string name;
  int hour = 0;
  std::string timezone;
  std::string next_run_at;
};

struct ConfigChangeOutcome {
  ConfigVars config;
  Release release;
};

// A PGBackups transfer: a backup (from_type pg_dump, to_type gof3r), a restore (gof3r →
// pg_restore) or a copy (pg_dump → pg_restore), numbered per app.
struct TransferLog {
  std::string created_at;
  std::string level;  // info, warning, error
  std::string message;
};

struct Transfer {
  std::string id;
  std::string app_id;
  std::string app_name;
  std::int64_t num = 0;
  std::string addon_id;
  std::string from_type;
  std::string from_name;
  std::string from_url;  // as clients see it: never a password
  std::string to_type;
  std::string to_name;
  std::string to_url;
  std::string options_json = "{}";
  std::string job_json = "{}";  // the worker's private record (may hold credentials)
  std::optional<std::string> schedule;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> started_at;
  std::optional<std::string> finished_at;
  std::optional<std::string> canceled_at;
  std::optional<std::string> deleted_at;
  std::optional<bool> succeeded;
  std::int64_t processed_bytes = 0;
  std::int64_t source_bytes = 0;
  std::int64_t warnings = 0;
  std::optional<std::string> verification;
  std::optional<std::string> blob_sha256;
  std::vector<TransferLog> logs;
};

// A restore or copy cut short after claim_replacement: the swap may or may not have committed.
struct InterruptedReplacement {
  std::string transfer_id;
  std::string addon_id;  // whose database it was replacing
};

struct NewTransfer {
  std::string app_id;
  std::string addon_id;
  std::string from_type;
  std::string from_name;
  std::string from_url;
  std::string to_type;
  std::string to_name;
  std::string to_url;  // may hold "{uuid}", replaced by the new transfer's id
  std::string options_json = "{}";
  std::string job_json = "{}";
  std::optional<std::string> schedule;
  // A restore or copy into an add-on: the add-on whose database it replaces.
  std::optional<std::string> into_addon_id;
};

}  // namespace slipway::store
