// The state store: the only code that speaks SQL. Every public method is one transaction,
// safe to call from any thread, and reports failures as Result values.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/models.h"
#include "store/sqlite.h"

namespace slipway::store {

class Store {
 public:
  // Opens (creating if needed) the database file, applies migrations and durability settings.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& file);

  // --- accounts and tokens (accounts.cpp)
  Result<Account> ensure_account(const std::string& email);
  Result<Account> find_account(const std::string& id);
  // Issues a new API token and returns its plaintext; only a hash of its secret is kept.
  Result<std::string> issue_token(const std::string& account_id, const std::string& description);
  // The account a token belongs to, or nullopt when the token is unknown or malformed.
  Result<std::optional<Account>> authenticate(std::string_view token);

  // --- apps (apps.cpp)
  // Creates the app and its v1 "Initial release" together. kConflict when the name is taken.
  Result<App> create_app(const NewApp& app, const Account& owner);
  Result<App> find_app(std::string_view name_or_id);
  Result<std::vector<App>> list_apps(const std::optional<std::string>& owner_id);
  Result<App> update_app(const std::string& app_id, const AppUpdate& update);
  // Deletes the app; its add-ons start deprovisioning. Returns the releases of other apps that
  // lost an attachment of one of its add-ons.
  Result<std::vector<Release>> delete_app(const std::string& app_id);

  // --- config vars (config_vars.cpp)
  Result<ConfigVars> config_vars(const std::string& app_id);
  // Applies the changes and records the release they make, atomically. Fails with
  // kInvalidParams, changing nothing, if the resulting config would exceed `max_bytes`.
  // The new config is the app's at once (`heroku config`), but the release may start pending
  // (see "releases that change what runs").
  Result<ConfigChangeOutcome> change_config(const std::string& app_id, const Account& user,
                                            const ConfigChanges& changes, std::size_t max_bytes,
                                            const std::string& phase_output_secret);

  // --- releases (releases.cpp)
  Result<std::vector<Release>> list_releases(const std::string& app_id);
  // `ref` is a version number ("12") or a release id.
  Result<Release> find_release(const std::string& app_id, std::string_view ref);

  // --- slugs (slugs.cpp)
  // Creates the slug record; `upload_secret_sha256` guards its one-time upload URL.
  Result<Slug> create_slug(const std::string& app_id, const NewSlug& slug,
                           const std::string& upload_secret_sha256);
  Result<Slug> find_slug(const std::string& app_id, const std::string& slug_id);
  // The slug, if `secret_sha256` matches its upload secret (compared in constant time).
  Result<Slug> find_slug_for_upload(const std::string& slug_id, const std::string& secret_sha256);
  // The slug the app's current release runs, if it has one.
  Result<std::optional<Slug>> current_slug(const std::string& app_id);
  Result<Slug> attach_slug_blob(const std::string& slug_id, const std::string& blob_sha256,
                                std::int64_t size);

  // --- releases that change what runs (releases.cpp)
  // Every new release whose slug has a `release` process type starts 'pending', not current (the
  // previous release keeps serving), with `phase_output_secret` guarding its output URL, until
  // its release phase ends (finish_release). A release that keeps the app's slug (a config
  // change) takes the slug of the latest release that has not failed: the code the app is
  // heading to, even while that release is still pending.

  // A new release running `slug_id` with the app's current config, after setting each of
  // `config_defaults` the app does not have yet (a buildpack's bin/release config_vars). The
  // first release of an app whose slug has a `web` type also scales web to 1, as on Heroku.
  Result<Release> release_slug(const std::string& app_id, const Account& user,
                               const std::string& slug_id, const std::string& description,
                               const std::string& phase_output_secret,
                               const ConfigVars& config_defaults = {});
  // A new release with the slug and config of `target`; the app's config vars become that config.
  Result<Release> rollback(const std::string& app_id, const Account& user, const Release& target,
                           const std::string& phase_output_secret);
  // Ends a pending release: 'succeeded' makes it current, 'failed' leaves it in the history.
  Result<Release> finish_release(const std::string& release_id, bool succeeded);

  // --- builds, sources and buildpacks (builds.cpp)
  Result<Build> create_build(const std::string& app_id, const Account& user, const NewBuild& build,
                             const std::string& output_secret);
  Result<Build> finish_build(const std::string& build_id, bool succeeded,
                             const std::vector<std::string>& buildpacks,
                             const std::optional<std::string>& slug_id,
                             const std::optional<std::string>& release_id);
  Result<std::vector<Build>> list_builds(const std::string& app_id);
  Result<Build> find_build(const std::string& app_id, const std::string& build_id);
  // The build whose output_secret is `secret` (compared in constant time), by build id.
  Result<Build> find_build_for_output(const std::string& build_id, std::string_view secret);
  // The release whose output_secret is `secret`, by release id.
  Result<Release> find_release_for_output(const std::string& release_id, std::string_view secret);
  Result<Source> create_source(const std::string& account_id, const std::string& secret_sha256);
  Result<Source> find_source(const std::string& source_id, const std::string& secret_sha256);
  Result<Source> attach_source_blob(const std::string& source_id, const std::string& blob_sha256,
                                    std::int64_t size);
  Result<std::vector<std::string>> buildpack_installations(const std::string& app_id);
  Result<std::vector<std::string>> set_buildpack_installations(
      const std::string& app_id, const std::vector<std::string>& urls);
  // After a restart of the control plane: builds and release phases that were running when it
  // stopped cannot finish any more; they are marked failed. Returns how many.
  Result<std::int64_t> fail_interrupted_work();

  // --- add-ons and attachments (addons.cpp)
  // Creates the add-on ('provisioning') and its first attachment to `app`. kConflict when no
  // candidate name is free.
  Result<AddonAttachment> create_addon(const App& app, const Account& user, const NewAddon& spec);
  Result<Addon> find_addon(std::string_view name_or_id);
  // The add-ons billed to `app_id`, or (nullopt) all of them, oldest first.
  Result<std::vector<Addon>> list_addons(const std::optional<std::string>& app_id);
  Result<std::vector<Addon>> addons_in_state(std::string_view state);
  // Attachments to `app_id`, or of `addon_id` (one of them must be given).
  Result<std::vector<AddonAttachment>> list_attachments(const std::optional<std::string>& app_id,
                                                        const std::optional<std::string>& addon_id);
  Result<AddonAttachment> find_attachment(std::string_view id);
  Result<AddonAttachment> find_attachment_by_name(const std::string& app_id, std::string_view name);
  // Attaches an add-on; when it is provisioned, sets <NAME>_URL on the app in a release.
  Result<std::pair<AddonAttachment, AddonChange>> attach_addon(const Account& user,
                                                               const NewAttachment& spec);
  // Removes an attachment and its config var, in a release.
  Result<AddonChange> detach_addon(const Account& user, const std::string& attachment_id);
  // Provisioning done: the add-on becomes 'provisioned' and every attachment's app gets the URL.
  Result<AddonChange> finish_provisioning(const std::string& addon_id,
                                          const std::string& resource_json, const std::string& url);
  // Provisioning failed for good: 'deprovisioned' with the reason; its attachments go.
  Result<Addon> fail_provisioning(const std::string& addon_id, const std::string& message);
  // Starts destroying: 'deprovisioning', every attachment (and config var) removed.
  Result<std::pair<Addon, AddonChange>> destroy_addon(const Account& user,
                                                      const std::string& addon_id);
  // The provider released the resource: the add-on is gone.
  Status forget_addon(const std::string& addon_id);
  Result<Addon> rename_addon(const std::string& addon_id, const std::string& new_name);

  // --- add-on plan changes (plan_changes.cpp)
  // Records a change of a provisioned add-on to `to_plan` ('pending'); the add-on keeps its plan
  // until switch_plan_change. kInvalidParams when it is not provisioned, is already on that
  // plan, or a change is under way. Older changes' kept resources become due for release.
  Result<PlanChange> begin_plan_change(const Account& user, const std::string& addon_id,
                                       const std::string& to_plan, const std::string& resource_key);
  // Changes in 'pending', 'cutover' or 'switched', oldest first.
  Result<std::vector<PlanChange>> plan_changes_in_progress();
  Result<PlanChange> record_plan_change_target(const std::string& change_id,
                                               const std::string& target_json,
                                               const std::string& target_url);
  // 'cutover': the app's maintenance setting is saved and maintenance turned on, atomically.
  Result<PlanChange> enter_cutover(const std::string& change_id);
  // 'switched': the add-on takes the new plan and resource, and every attachment's config var
  // the new URL, in releases; the old resource is kept until `keep_source_until`.
  Result<AddonChange> switch_plan_change(const std::string& change_id,
                                         const std::string& keep_source_until);
  // 'done': the app's maintenance setting is restored.
  Status finish_plan_change(const std::string& change_id);
  // 'failed' with `message` (also the add-on's provision_message); the app's maintenance
  // setting is restored if the cut-over had begun.
  Status fail_plan_change(const std::string& change_id, const std::string& message);
  // Changes whose old resource (done) is due for release at `now`, and failed ones (whose new
  // resource, whatever part of it was made, is to be released).
  Result<std::vector<PlanChange>> plan_changes_to_clean(const std::string& now);
  Status mark_plan_change_cleaned(const std::string& change_id);

  // --- PGBackups transfers (transfers.cpp)
  // Records a transfer (not started) with the app's next number.
  Result<Transfer> create_transfer(const NewTransfer& spec);
  // The app's transfers that are not deleted, oldest first, with their logs.
  Result<std::vector<Transfer>> list_transfers(const std::string& app_id);
  // By number ("3") or id, not deleted, with its logs.
  Result<Transfer> find_transfer(const std::string& app_id, std::string_view ref);
  Result<Transfer> find_transfer_by_id(const std::string& id);
  Status start_transfer(const std::string& id);
  Status set_transfer_progress(const std::string& id, std::int64_t processed_bytes,
                               std::int64_t source_bytes);
  Status append_transfer_log(const std::string& id, std::string_view level,
                             std::string_view message);
  // Ends it (once: a transfer already finished, e.g. canceled, is left as it is).
  Result<Transfer> finish_transfer(const std::string& id, bool succeeded,
                                   const std::optional<std::string>& verification,
                                   const std::optional<std::string>& blob_sha256);
  // Marks it canceled (and finished, failed) unless it has finished already.
  Result<Transfer> cancel_transfer(const std::string& id);
  // A restore or copy is about to put its database in place of its add-on's: from now on it
  // cannot be canceled and the add-on's plan cannot change until it finishes. kConflict when
  // it was canceled meanwhile or the add-on is changing plans.
  Status claim_replacement(const std::string& id);
  // Soft-deletes it; returns the blob no remaining transfer refers to, if any (to remove).
  Result<std::optional<std::string>> delete_transfer(const std::string& id);
  // Manual backups of `addon_id` that succeeded, newest first, beyond the first `keep` are
  // deleted. Returns the blobs no remaining transfer refers to.
  Result<std::vector<std::string>> prune_backups(const std::string& addon_id, std::int64_t keep);
  Status set_transfer_public_secret(const std::string& id, const std::string& secret_sha256,
                                    const std::string& expires_at);
  // The succeeded backup whose current download secret is `secret_sha256` and not expired.
  Result<Transfer> find_transfer_for_download(const std::string& id,
                                              const std::string& secret_sha256);
  // After a restart of the control plane: transfers that were queued or running cannot finish;
  // they are marked failed with a log line saying why. Returns how many. Restores and copies
  // that had claimed their add-on's database are left unfinished: whether their swap committed
  // decides how they ended (see interrupted_replacements).
  Result<std::int64_t> fail_interrupted_transfers();
  // Unfinished transfers that claimed the database of an add-on (`addon_id`) to replace it.
  Result<std::vector<InterruptedReplacement>> interrupted_replacements();

  // --- backup schedules (backup_schedules.cpp)
  // Sets the add-on's schedule, replacing the one it had (an add-on has at most one).
  Result<BackupSchedule> put_backup_schedule(const std::string& addon_id,
                                             const NewBackupSchedule& spec);
  Result<std::vector<BackupSchedule>> backup_schedules(const std::string& addon_id);
  // kNotFound when the add-on has no schedule `schedule_id`.
  Status delete_backup_schedule(const std::string& addon_id, const std::string& schedule_id);
  // Schedules of provisioned add-ons whose next run is at or before `now_iso` (UTC ISO 8601).
  Result<std::vector<BackupSchedule>> due_backup_schedules(const std::string& now_iso);
  // Records a run; false (changing nothing) when the schedule is gone or was replaced since it
  // was read (its next_run_at is no longer `expected_next_run_at`).
  Result<bool> record_backup_schedule_run(const std::string& schedule_id,
                                          const std::string& expected_next_run_at,
                                          const std::string& ran_at,
                                          const std::string& next_run_at);

  // --- formation (formation.cpp)
  Result<std::vector<FormationEntry>> formation(const std::string& app_id);
  // Applies all updates or none. Quantities are clamped at 0 from below; kInvalidParams above
  // `max_quantity`.
  Result<std::vector<FormationEntry>> update_formation(const std::string& app_id,
                                                       const std::vector<FormationUpdate>& updates,
                                                       std::int64_t max_quantity);

  // PRAGMA integrity_check: "ok" or SQLite's report.
  Result<std::string> integrity_check();

 private:
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  // Runs `body` under the store lock, converting SqlError into a Result error.
  template <typename T, typename Body>
  Result<T> guarded(Body&& body) {
    std::lock_guard lock(mutex_);
    try {
      return body(*db_);
    } catch (const SqlError& e) {
      log_store_failure(e);
      return make_error(ErrorCode::kInternal, "The state store failed; nothing was changed.");
    }
  }
  static void log_store_failure(const SqlError& e);

  // Appends the next release; pending (with the secret) when its slug has a release phase.
  // Without `slug_id` it takes the latest release's that has not failed.
  Release insert_release(const std::string& app_id, const Account& user,
                         const std::string& description, const ConfigVars& config,
                         const std::optional<std::string>& slug_id,
                         const std::string& phase_output_secret);
  // With an app about to go: its add-ons start deprovisioning, leaving the other apps they
  // are attached to (each gets a release without the config var).
  std::vector<Release> detach_owned_addons(Database& db, const std::string& app_id);

  std::mutex mutex_;
  std::unique_ptr<Database> db_;
};

}  // namespace slipway::store
