// The agent files under examples/hotel/agents/, compiled into the binary (CMakeLists.txt
// generates the table), so `zta demo` runs from any folder with nothing installed beside it.
#pragma once

#include <span>

#include "zta/http/embedded_files.h"

namespace zta::hotel {

// Every file of examples/hotel/agents/, by its name ("guest-assistant.toml").
std::span<const http::EmbeddedFile> AgentFiles();

}  // namespace zta::hotel
