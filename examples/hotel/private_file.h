// Writing a secret to a file only this user may read (mode 0600, never replacing a file), for the
// deployment's client secrets and the demo user's password (system.cc, registration.cc).
#pragma once

#include <string>

#include "zta/core/status.h"

namespace zta::hotel {

// Creates `path` (O_EXCL: an existing file is an error, kFailedPrecondition) with `value`, synced.
Status WritePrivateFile(const std::string& path, const std::string& value);

}  // namespace zta::hotel
