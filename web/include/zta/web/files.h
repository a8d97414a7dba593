// The files under web/, compiled into the binary (web/CMakeLists.txt generates the table).
#pragma once

#include <span>

#include "zta/http/embedded_files.h"

namespace zta::web {

// Every embedded file, by its path under web/ ("idp/style.css").
std::span<const http::EmbeddedFile> Files();

}  // namespace zta::web
