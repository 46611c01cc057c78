// Request ids for requests that arrive without one: UUID-shaped (as Heroku's), unique, cheap.
// They need not be unpredictable, so each thread draws from its own generator seeded once from
// the OS, instead of asking OpenSSL for fresh entropy on every request.
#pragma once

#include <string>

namespace slipway::router {

std::string new_request_id();

}  // namespace slipway::router
