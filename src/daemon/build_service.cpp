#include "daemon/build_service.h"

#include <spdlog/spdlog.h>

#include <fstream>

#include "build/buildpack_runner.h"
#include "build/http_download.h"
#include "build/source_archive.h"
#include "build/source_download.h"
#include "common/crypto.h"
#include "common/fs.h"
#include "common/ids.h"
#include "logs/output_files.h"
#include "runtime/isolation.h"

namespace slipway::daemon {

namespace fs = std::filesystem;

namespace {

std::string short_sha(const std::optional<std::string>& version) {
  return version ? version->substr(0, 7) : std::string("source");
}

std::string replace_app(std::string text, const std::string& app) {
  const auto at = text.find("{app}");
  if (at != std::string::npos) text.replace(at, 5, app);
  return text;
}

}  // namespace

BuildService::BuildService(store::Store& store, store::BlobStore& blobs, ReleaseService& releases,
                           BuildSettings settings)
    : store_(store), blobs_(blobs), releases_(releases), settings_(std::move(settings)) {}

BuildService::~BuildService() {
  cancel_all();
  std::list<std::unique_ptr<Background>> builds;
  {
    std::lock_guard lock(mutex_);
    builds.swap(background_);
  }
  for (auto& b : builds) b->thread.join();
}

void BuildService::cancel_all() {
  stopping_ = true;
  std::lock_guard lock(mutex_);
  for (auto& b : background_) b->cancel = true;
}

void BuildService::reap_finished() {
  std::list<std::unique_ptr<Background>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = background_.begin(); it != background_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = background_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& b : finished) b->thread.join();
}

bool BuildService::claim(const std::string& app_id) {
  std::lock_guard lock(mutex_);
  return building_.insert(app_id).second;
}

void BuildService::release_claim(const std::string& app_id) {
  std::lock_guard lock(mutex_);
  building_.erase(app_id);
}

Result<store::Build> BuildService::begin(const store::App& app, const store::Account& user,
                                         const api::BuildRequest& request) {
  if (stopping_) {
    return make_error(ErrorCode::kConflict,
                      "Slipway is stopping; start the build again once it is back.");
  }
  if (!claim(app.id)) {
    return make_error(ErrorCode::kConflict,
                      "A build of " + app.name + " is already running; wait for it to finish.");
  }
  auto build = create(app, user, request);
  if (!build) release_claim(app.id);
  return build;
}

Result<store::Build> BuildService::create(const store::App& app, const store::Account& user,
                                          const api::BuildRequest& request) {
  auto buildpacks = request.buildpacks ? Result<std::vector<std::string>>(*request.buildpacks)
                                       : store_.buildpack_installations(app.id);
  if (!buildpacks) return buildpacks.error();
  store::NewBuild spec{request.source_url, request.version, request.checksum, *buildpacks};
  return store_.create_build(app.id, user, spec, random_hex(24));
}

Result<store::Build> BuildService::start_build(const store::App& app, const store::Account& user,
                                               const api::BuildRequest& request) {
  reap_finished();
  auto build = begin(app, user, request);
  if (!build) return build.error();
  std::lock_guard lock(mutex_);
  auto job = std::make_unique<Background>();
  Background* b = job.get();
  if (stopping_) b->cancel = true;  // cancel_all ran between begin and here
  b->thread = std::thread([this, app, user, request, build = *build, b] {
    execute(app, user, request, build, nullptr, &b->cancel, "");
    release_claim(app.id);
    b->done = true;
  });
  background_.push_back(std::move(job));
  return build;
}

Result<BuildService::Outcome> BuildService::build_now(const store::App& app,
                                                      const store::Account& user,
                                                      const api::BuildRequest& request,
                                                      const OutputSink& sink,
                                                      const std::atomic<bool>* interrupted) {
  auto build = begin(app, user, request);
  if (!build) return build.error();
  Outcome outcome = execute(app, user, request, *build, sink, interrupted,
                            "the push was interrupted (the git client went away)");
  release_claim(app.id);
  return outcome;
}

BuildService::Outcome BuildService::execute(const store::App& app, const store::Account& user,
                                            const api::BuildRequest& request, store::Build build,
                                            const OutputSink& sink, const std::atomic<bool>* cancel,
                                            const std::string& cancel_reason) {
  std::error_code ec;
  const fs::path log_file = logs::build_output_file(settings_.data_dir, build.id);
  fs::create_directories(log_file.parent_path(), ec);
  std::ofstream log(log_file, std::ios::binary | std::ios::app);
  std::mutex output_mutex;
  const auto out = [&](std::string_view text) {
    std::lock_guard lock(output_mutex);
    log.write(text.data(), static_cast<std::streamsize>(text.size()));
    log.flush();  // the output URL follows the file as it grows
    if (sink) sink(text);
  };
  const fs::path work = settings_.data_dir / "build-work" / build.id;
  const auto finish = [&](bool succeeded, const std::vector<std::string>& buildpacks,
                          const std::optional<std::string>& slug_id,
                          const std::optional<std::string>& release_id) {
    fs::remove_all(work, ec);
    auto done = store_.finish_build(build.id, succeeded, buildpacks, slug_id, release_id);
    if (done) build = *done;
  };
  const auto fail = [&](const std::string& why) {
    if (!why.empty()) out(" !     " + why + "\n");
    out(" !     Push rejected to " + app.name + ".\n");
    finish(false, build.buildpacks, std::nullopt, std::nullopt);
    return Outcome{build, false};
  };
  const auto cancelled = [&] { return cancel != nullptr && cancel->load(); };
  const auto fail_cancelled = [&] {
    return fail(
        "Build cancelled: " +
        (stopping_ || cancel_reason.empty() ? std::string("Slipway is stopping") : cancel_reason) +
        ". Nothing was released.");
  };

  // App users pass through build-work/ and build-cache/ to what the runner hands them (their
  // build dir and cache); nothing else there is theirs.
  const unsigned traversable = runtime::traversable_dir_mode();
  (void)make_directories(work.parent_path(), traversable);
  (void)make_directories(work, traversable);
  (void)make_directories(settings_.data_dir / "build-cache", traversable);
  build::BuildInput input;
  input.source_dir = work / "build";
  input.cache_dir = settings_.data_dir / "build-cache" / app.id;
  input.work_dir = work / "scratch";
  if (runtime::isolating() && app.unix_uid) {  // the app's code builds as the app's user
    input.run_as = std::pair{static_cast<uid_t>(*app.unix_uid), static_cast<gid_t>(*app.unix_uid)};
  }
  fs::path source_file = request.source_file;
  if (source_file.empty()) {
    source_file = work / "source.tgz";
    out("-----> Downloading the source from " + build::display_url(request.source_url) + "\n");
    build::SourceDownload download{request.source_url,
                                   source_file,
                                   input.run_as,
                                   settings_.max_source_bytes,
                                   settings_.memory_limit_bytes,
                                   settings_.source_connect_timeout,
                                   settings_.source_download_timeout,
                                   cancel};
    if (auto s = build::download_source(download); !s) {
      return cancelled() ? fail_cancelled() : fail(s.error().message);
    }
  }
  if (auto extracted = build::extract_source_archive(source_file, input.source_dir); !extracted) {
    return fail("The source could not be unpacked: " + extracted.error().message);
  }
  auto config = store_.config_vars(app.id);
  if (!config) return fail("The build could not read the app's config.");
  input.config_vars = *config;
  input.buildpacks = build.buildpacks;
  for (auto& url : input.buildpacks) {
    // file:// names a git repository to the runner; a plain directory is a local buildpack
    // (`heroku buildpacks:set` only accepts URLs, so local paths arrive this way).
    const fs::path local = url.starts_with("file://") ? fs::path(url.substr(7)) : fs::path();
    if (!local.empty() && url.find('#') == std::string::npos && fs::is_directory(local, ec) &&
        !fs::exists(local / ".git", ec) && !fs::exists(local / "HEAD", ec)) {
      url = local.string();
    }
  }
  input.builtin_buildpacks_dir = settings_.builtin_buildpacks_dir;
  input.memory_limit_bytes = settings_.memory_limit_bytes;
  input.max_slug_bytes = settings_.max_slug_bytes;
  input.source_version = request.version.value_or("");
  auto built = build::run_build(input, out, cancel);
  if (cancelled()) return fail_cancelled();
  if (!built) return fail("");  // the runner's output already ends with the reason
  // As the app named them; when none were named, the one detection chose.
  std::vector<std::string> used = build.buildpacks;
  if (used.empty()) {
    for (const auto& [url, name] : built->buildpacks) used.push_back(url);
  }

  store::NewSlug slug_spec{built->process_types, request.version, std::nullopt,
                           built->buildpack_description, app.build_stack};
  auto slug = store_.create_slug(app.id, slug_spec, sha256_hex(random_hex(24)));
  if (!slug) return fail("The slug could not be stored: " + slug.error().message);
  auto sha = blobs_.adopt(built->slug_archive);
  if (!sha) return fail("The slug could not be stored: " + sha.error().message);
  if (auto attached =
          store_.attach_slug_blob(slug->id, *sha, static_cast<std::int64_t>(built->slug_size));
      !attached) {
    return fail("The slug could not be stored: " + attached.error().message);
  }

  if (!built->addons.empty()) {
    // Heroku provisions these; Slipway leaves the choice of plan (and its cost) to the user.
    out(" !     Slipway does not provision the add-ons bin/release asks for; add them if the app\n"
        " !     needs them:\n");
    for (const auto& addon : built->addons) {
      out(" !       heroku addons:create " + addon + " -a " + app.name + "\n");
    }
  }
  if (cancelled()) return fail_cancelled();  // the last moment before anything is released
  out("-----> Launching...\n");
  const std::string description = "Deploy " + short_sha(request.version);
  auto release = releases_.release_build(app, user, slug->id, description, built->config_vars, out,
                                         cancel);
  if (!release) return fail("The release could not be created: " + release.error().message);
  const bool live = release->status == "succeeded";
  if (!live && cancelled()) return fail_cancelled();  // its release phase was cut short
  if (live) {
    out("       Released v" + std::to_string(release->version) + "\n       " +
        replace_app(settings_.app_url_template, app.name) + " deployed to Slipway\n\n");
  }
  finish(true, used, slug->id, release->id);
  return Outcome{build, live};
}

}  // namespace slipway::daemon
