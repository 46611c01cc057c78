#include "api/api_service.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "api/credentials.h"
#include "api/errors.h"
#include "common/ids.h"

namespace slipway::api {
namespace {

Response make_response(const Request& request, http::status status, std::string body) {
  Response res{status, request.version()};
  res.set(http::field::server, "slipway");
  res.set(http::field::content_type, "application/json; charset=utf-8");
  res.set(http::field::cache_control, "private, no-cache");
  res.body() = std::move(body);
  return res;
}

Response error_response(const Request& request, const Error& error) {
  return make_response(request, error_shape(error.code).status, error_body(error));
}

Outgoing fail(const Request& request, const Error& error) {
  return Outgoing{error_response(request, error), {}};
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// Capability URLs carry their secret in the path: log only which kind of URL it was.
std::string loggable_target(std::string_view target) {
  for (const std::string_view prefix : {"/log-streams/", "/slug-uploads/", "/backup-downloads/"}) {
    if (target.starts_with(prefix)) return std::string(prefix) + "[capability]";
  }
  return std::string(target.substr(0, 200));
}

}  // namespace

std::string choose_request_id(std::string_view header) {
  const std::string_view first = header.substr(0, header.find(','));
  if (first.empty() || first.size() > 64) return new_uuid();
  for (const char c : first) {
    if (!is_id_char(c)) return new_uuid();
  }
  return std::string(first);
}

ApiService::ApiService(store::Store& store, store::BlobStore& blobs, RuntimeControl& runtime,
                       BuildControl& builds, ReleaseControl& releases, AddonControl& addons,
                       PostgresControl& postgres, TransferControl& transfers, GitBackend& git,
                       ApiSettings settings)
    : store_(store),
      blobs_(blobs),
      settings_(std::move(settings)),
      deps_{store_, blobs_, runtime, builds, releases, addons, postgres, transfers, git, settings_},
      git_http_(store_, blobs_, git, settings_) {
  register_account_routes(routes_, deps_);
  register_app_routes(routes_, deps_);
  register_config_var_routes(routes_, deps_);
  register_release_routes(routes_, deps_);
  register_collaborator_routes(routes_, deps_);
  register_pipeline_coupling_routes(routes_, deps_);
  register_addon_routes(routes_, deps_);
  register_addon_attachment_routes(routes_, deps_);
  register_pg_database_routes(routes_, deps_);
  register_pg_transfer_routes(routes_, deps_);
  register_pg_schedule_routes(routes_, deps_);
  register_dyno_routes(routes_, deps_);
  register_slug_routes(routes_, deps_);
  register_formation_routes(routes_, deps_);
  register_log_session_routes(routes_, deps_);
  register_build_routes(routes_, deps_);
  register_buildpack_installation_routes(routes_, deps_);
}

Outgoing ApiService::handle(const Request& request,
                            const std::optional<std::filesystem::path>& body_file) {
  const auto started = std::chrono::steady_clock::now();
  const std::string request_id = choose_request_id(request["Request-Id"]);
  std::vector<std::string> warnings;
  Outgoing out = [&] {
    try {
      return dispatch(request, body_file, warnings);
    } catch (const std::exception& e) {
      spdlog::error("request_id={} unhandled: {}", request_id, e.what());
      return Outgoing{
          error_response(request, make_error(ErrorCode::kInternal, "Internal server error.")), {}};
    }
  }();
  Response& res = out.response;
  res.set("Request-Id", request_id);
  for (const auto& w : warnings) res.insert("X-Heroku-Warning", w);
  res.keep_alive(request.keep_alive() && !out.stream);
  if (!out.stream) res.prepare_payload();  // a streamed body is delimited by closing
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  // Headers are never logged, nor the secret part of capability URLs.
  spdlog::info("at=info method={} path=\"{}\" status={} service={}ms request_id={}",
               std::string(request.method_string()), loggable_target(request.target()),
               res.result_int(), ms, request_id);
  return out;
}

std::optional<Upload> ApiService::upload_target(const Request& header) {
  if (header.method() == http::verb::put &&
      (header.target().starts_with("/slug-uploads/") || header.target().starts_with("/sources/"))) {
    return blobs_.incoming_path();
  }
  if (auto git = parse_git_target(header.target())) return git_http_.upload_target(header, *git);
  return std::nullopt;
}

Outgoing ApiService::dispatch(const Request& request,
                              const std::optional<std::filesystem::path>& body_file,
                              std::vector<std::string>& warnings) {
  // git's smart HTTP (/<app>.git/...) shares the port but not the Platform API's conventions.
  if (auto git = parse_git_target(request.target())) {
    return git_http_.handle(request, *git, body_file);
  }
  auto accept = parse_accept(request[http::field::accept]);
  if (!accept) return fail(request, accept.error());
  if (accept->defaulted && !request[http::field::accept].empty() &&
      request[http::field::accept] != "*/*") {
    warnings.emplace_back(
        "No API version was requested; answering as version 3. Send `Accept: "
        "application/vnd.heroku+json; version=3`.");
  }
  auto target = parse_target(request.target());
  if (!target) {
    return fail(request, make_error(ErrorCode::kBadRequest, "The request path is malformed."));
  }
  const auto match = routes_.match(request.method(), target->segments);
  if (match.handler == nullptr) {
    if (match.path_known) {
      return fail(request,
                  make_error(ErrorCode::kNotFound, "The " + std::string(request.method_string()) +
                                                       " method is not supported on this path."));
    }
    return fail(request, make_error(ErrorCode::kNotFound, "Not found."));
  }
  const auto token = token_from_authorization(request[http::field::authorization]);
  std::optional<store::Account> account;
  if (!match.requires_auth) {
    account = store::Account{};
  } else if (token) {
    auto found = store_.authenticate(*token);
    if (!found) return fail(request, found.error());
    account = std::move(*found);
  }
  if (!account) {
    auto res = error_response(
        request, make_error(ErrorCode::kUnauthorized, "Invalid credentials provided."));
    res.set(http::field::www_authenticate, "Bearer realm=\"slipway\"");
    return Outgoing{std::move(res), {}};
  }
  RequestContext ctx{request, match.params, std::move(target->query), std::move(*account), *accept,
                     {},      body_file};
  auto reply = (*match.handler)(ctx);
  for (auto& w : ctx.warnings) warnings.push_back(std::move(w));
  if (!reply) return fail(request, reply.error());
  auto res = make_response(request, reply->status, reply->body.is_null() ? "" : reply->body.dump());
  for (const auto& [name, value] : reply->headers) res.set(name, value);
  if (!reply->content_type.empty()) res.set(http::field::content_type, reply->content_type);
  return Outgoing{std::move(res), std::move(reply->stream)};
}

}  // namespace slipway::api
