#include "store/migrations.h"

namespace slipway::store {

const std::vector<Migration>& all_migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- Tokens are split: a public selector finds the row, the secret is kept only as a SHA-256 hash.
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  selector TEXT NOT NULL UNIQUE,
  secret_sha256 TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE apps (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL REFERENCES accounts(id),
  region TEXT NOT NULL,
  stack TEXT NOT NULL,
  build_stack TEXT NOT NULL,
  maintenance INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  released_at TEXT
);
CREATE TABLE config_vars (
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (app_id, key)
);
-- Releases are append-only; config_json is the full config snapshot the release runs with.
CREATE TABLE releases (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  description TEXT NOT NULL,
  status TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES accounts(id),
  config_json TEXT NOT NULL,
  slug_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (app_id, version)
);
)sql"},
      {2, R"sql(
-- A slug is created first (process types, metadata), its archive uploaded afterwards.
CREATE TABLE slugs (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  process_types_json TEXT NOT NULL,
  commit_sha TEXT,
  commit_description TEXT,
  buildpack_provided_description TEXT,
  stack TEXT NOT NULL,
  upload_secret_sha256 TEXT NOT NULL,
  blob_sha256 TEXT,
  size INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- Desired process counts; a type not (yet) in the current slug is remembered, not refused.
CREATE TABLE formation (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  size TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (app_id, type)
);
)sql"},
      {3, R"sql(
-- Builds of pushed or uploaded source. output_secret is the capability in output_stream_url,
-- kept in plain text because every GET of the build returns that URL (it grants reading the
-- build log, nothing else).
CREATE TABLE builds (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES accounts(id),
  source_url TEXT NOT NULL,
  source_version TEXT,
  source_checksum TEXT,
  buildpacks_json TEXT NOT NULL,
  slug_id TEXT,
  release_id TEXT,
  output_secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX builds_by_app ON builds(app_id, created_at);
-- Source tarballs uploaded through POST /sources; one secret guards both of their URLs.
CREATE TABLE sources (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  secret_sha256 TEXT NOT NULL,
  blob_sha256 TEXT,
  size INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE buildpack_installations (
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  url TEXT NOT NULL,
  PRIMARY KEY (app_id, ordinal)
);
-- A release whose release phase runs is 'pending' until it ends; its output is readable at a
-- capability URL built from this secret.
ALTER TABLE releases ADD COLUMN output_secret TEXT;
)sql"},
      {4, R"sql(
-- Each app's dynos run as its own unprivileged Unix user, and a group of the same number, so
-- that one app cannot read another's files or config. Numbers come from a range of their own,
-- far above system and login users, and are never handed out twice: the counter only grows,
-- even when apps are destroyed (their files may outlive them, e.g. in /tmp).
ALTER TABLE apps ADD COLUMN unix_uid INTEGER;
CREATE UNIQUE INDEX apps_unix_uid ON apps(unix_uid);
CREATE TABLE unix_uid_counter (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_uid INTEGER NOT NULL
);
-- Apps that exist already get theirs in creation order.
UPDATE apps SET unix_uid = 200000 + (SELECT COUNT(*) FROM apps b WHERE b.rowid < apps.rowid);
INSERT INTO unix_uid_counter(id, next_uid) VALUES (1, 200000 + (SELECT COUNT(*) FROM apps));
)sql"},
      {5, R"sql(
-- Add-ons (provisioned backing services) and their attachments to apps. An add-on belongs to
-- its billing app; it outlives that app only while it is deprovisioned (state
-- 'deprovisioning'), so app_id is not a foreign key. resource_json is the provider's private
-- record of where the resource lives (it holds credentials: never returned by the API); url is
-- what attachments export as <NAME>_URL.
CREATE TABLE addons (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  app_id TEXT NOT NULL,
  service TEXT NOT NULL,
  plan TEXT NOT NULL,
  state TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES accounts(id),
  resource_json TEXT,
  url TEXT,
  provision_message TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX addons_by_app ON addons(app_id);
-- An attachment exports its add-on's URL to an app as <name>_URL; names are unique per app
-- (and credential namespace).
CREATE TABLE addon_attachments (
  id TEXT PRIMARY KEY,
  addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  namespace TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX addon_attachments_name ON addon_attachments(app_id, name, COALESCE(namespace, ''));
)sql"},
      {6, R"sql(
-- Add-on plan changes (heroku addons:upgrade), one row per change, kept as history. The
-- worker resumes or rolls back whatever is not 'done' or 'failed' after a restart.
-- source_json/target_json are provider records (they hold credentials: never returned).
CREATE TABLE addon_plan_changes (
  id TEXT PRIMARY KEY,
  addon_id TEXT NOT NULL,
  service TEXT NOT NULL,
  from_plan TEXT NOT NULL,
  to_plan TEXT NOT NULL,
  resource_key TEXT NOT NULL,
  state TEXT NOT NULL,
  source_json TEXT NOT NULL,
  target_json TEXT,
  target_url TEXT,
  maintenance_before INTEGER NOT NULL DEFAULT 0,
  message TEXT,
  keep_source_until TEXT,
  cleaned INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX addon_plan_changes_by_state ON addon_plan_changes(state, cleaned);
)sql"},
      {7, R"sql(
-- Heroku PGBackups' transfers: backups (pg_dump -> gof3r), restores (gof3r -> pg_restore) and
-- copies (pg_dump -> pg_restore), numbered per app. They go with their app; add_on_id is not a
-- foreign key, so a backup outlives its database as on Heroku. from_url/to_url are what
-- clients see (never a password); job_json is the worker's private record of the real source
-- or target (it may hold credentials: never returned by the API).
CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  num INTEGER NOT NULL,
  addon_id TEXT NOT NULL,
  from_type TEXT NOT NULL,
  from_name TEXT NOT NULL,
  from_url TEXT NOT NULL,
  to_type TEXT NOT NULL,
  to_name TEXT NOT NULL,
  to_url TEXT NOT NULL,
  options_json TEXT NOT NULL DEFAULT '{}',
  job_json TEXT NOT NULL DEFAULT '{}',
  schedule TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  canceled_at TEXT,
  deleted_at TEXT,
  succeeded INTEGER,
  processed_bytes INTEGER NOT NULL DEFAULT 0,
  source_bytes INTEGER NOT NULL DEFAULT 0,
  warnings INTEGER NOT NULL DEFAULT 0,
  verification TEXT,
  blob_sha256 TEXT,
  UNIQUE (app_id, num)
);
-- pg:backups:url: each download capability's secret, kept only as a SHA-256, until it expires.
CREATE TABLE transfer_downloads (
  secret_sha256 TEXT PRIMARY KEY,
  transfer_id TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
  expires_at TEXT NOT NULL
);
CREATE INDEX transfers_by_addon ON transfers(addon_id);
CREATE TABLE transfer_logs (
  transfer_id TEXT NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (transfer_id, seq)
);
)sql"},
      {8, R"sql(
-- Daily backup schedules (pg:backups:schedule): at most one per add-on, owned by the add-on
-- (gone with it, untouched by restores, releases and plan changes). Times are UTC ISO 8601;
-- next_run_at is when the scheduler runs it next, recomputed from the zone after every run.
CREATE TABLE transfer_schedules (
  id TEXT PRIMARY KEY,
  addon_id TEXT NOT NULL UNIQUE REFERENCES addons(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
  timezone TEXT NOT NULL,
  last_run_at TEXT,
  next_run_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX transfer_schedules_due ON transfer_schedules(next_run_at);
)sql"},
      {9, R"sql(
-- Restores and copies into an add-on: which add-on they replace the database of, and when
-- they began putting the new one in place (from then on they cannot be canceled, and the
-- add-on's plan cannot change until they finish).
ALTER TABLE transfers ADD COLUMN into_addon_id TEXT;
ALTER TABLE transfers ADD COLUMN replacing_at TEXT;
CREATE INDEX transfers_unfinished_into ON transfers(into_addon_id) WHERE finished_at IS NULL;
)sql"},
  };
  return kMigrations;
}

int migrate(Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
  int current = 0;
  {
    auto q = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (q.step()) current = static_cast<int>(q.integer(0));
  }
  for (const auto& m : all_migrations()) {
    if (m.version <= current) continue;
    Transaction tx(db);
    db.exec(m.sql);
    db.prepare("INSERT INTO schema_migrations(version) VALUES (?)")
        .bind(1, std::int64_t{m.version})
        .run();
    tx.commit();
    current = m.version;
  }
  return current;
}

}  // namespace slipway::store
