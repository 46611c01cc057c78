// The composition root of `slipway server`: builds every subsystem in order, runs until
// SIGINT/SIGTERM, then stops them in reverse.
#pragma once

#include "daemon/server_options.h"

namespace slipway::daemon {

// Returns the process exit code.
int run_server(const ServerOptions& options);

}  // namespace slipway::daemon
