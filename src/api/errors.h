// Heroku-shaped error responses: {"id": "...", "message": "..."} with the matching status.
#pragma once

#include <string_view>

#include "api/http_types.h"
#include "common/result.h"

namespace slipway::api {

struct ErrorShape {
  http::status status;
  std::string_view id;
};

// not_found → 404, invalid_params → 422, bad_request → 400, conflict → 409, forbidden → 403,
// unauthorized → 401, payload too large → 413, confirmation required → 423, internal → 500.
ErrorShape error_shape(ErrorCode code);

// The JSON error body for `error` (its message, and Heroku's id for its code).
std::string error_body(const Error& error);

}  // namespace slipway::api
