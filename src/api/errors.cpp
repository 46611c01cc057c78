#include "api/errors.h"

#include <nlohmann/json.hpp>

namespace slipway::api {

ErrorShape error_shape(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return {http::status::not_found, "not_found"};
    case ErrorCode::kInvalidParams:
      return {http::status::unprocessable_entity, "invalid_params"};
    case ErrorCode::kBadRequest:
      return {http::status::bad_request, "bad_request"};
    case ErrorCode::kConflict:
      return {http::status::conflict, "conflict"};
    case ErrorCode::kForbidden:
      return {http::status::forbidden, "forbidden"};
    case ErrorCode::kUnauthorized:
      return {http::status::unauthorized, "unauthorized"};
    case ErrorCode::kPayloadTooLarge:
      return {http::status::payload_too_large, "request_entity_too_large"};
    case ErrorCode::kConfirmationRequired:
      return {http::status::locked, "confirmation_required"};
    case ErrorCode::kInternal:
      break;
  }
  return {http::status::internal_server_error, "internal_server_error"};
}

std::string error_body(const Error& error) {
  return nlohmann::json{{"id", error_shape(error.code).id}, {"message", error.message}}.dump();
}

}  // namespace slipway::api
