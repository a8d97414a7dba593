// Files compiled into the binary (web/: pages' CSS, JS, images) and served over HTTP, so a
// deployed zta is one executable with nothing to install beside it. The build generates the
// table with zta_embed_files() in web/CMakeLists.txt.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "zta/http/message.h"

namespace zta::http {

struct EmbeddedFile {
  std::string_view path;          // relative to the embedded folder, e.g. "idp/style.css"
  std::string_view content_type;  // from the extension, e.g. "text/css; charset=utf-8"
  std::string_view bytes;
};

// Serves embedded files under a URL prefix. Immutable after construction; thread-safe.
class StaticFiles {
 public:
  // `files` must outlive this (the generated tables are static). `url_prefix` is the path
  // they are served under, e.g. "/static/" (must start and end with '/').
  StaticFiles(std::span<const EmbeddedFile> files, std::string url_prefix);

  // The answer for `request` when its path is under the prefix: 200 with the file (strong
  // ETag, short public caching, nosniff), 304 for a matching If-None-Match, 404 for a path
  // not embedded, 405 for methods other than GET and HEAD. nullopt for paths outside it.
  std::optional<Response> Serve(const Request& request) const;

  const EmbeddedFile* Find(std::string_view path) const;

 private:
  std::span<const EmbeddedFile> files_;
  std::string url_prefix_;
};

// The Content-Type zta serves a file name's extension as; "application/octet-stream" when
// unknown.
std::string_view ContentTypeForPath(std::string_view path);

}  // namespace zta::http
