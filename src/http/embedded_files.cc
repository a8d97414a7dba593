// Serving files embedded at build time.
#include "zta/http/embedded_files.h"

#include "zta/core/base64url.h"
#include "zta/core/sha256.h"

namespace zta::http {
namespace {

// A strong validator (RFC 9110 §8.8.3) from the bytes: equal bytes, equal tag, in any build.
std::string ETagOf(std::string_view bytes) {
  return "\"" + Base64UrlEncode(std::string_view(Sha256(bytes)).substr(0, 16)) + "\"";
}

}  // namespace

std::string_view ContentTypeForPath(std::string_view path) {
  struct Type {
    std::string_view extension, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},     {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
      {".svg", "image/svg+xml"},                 {".png", "image/png"},
      {".ico", "image/x-icon"},                  {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& t : kTypes) {
    if (path.ends_with(t.extension)) return t.type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::span<const EmbeddedFile> files, std::string url_prefix)
    : files_(files), url_prefix_(std::move(url_prefix)) {}

const EmbeddedFile* StaticFiles::Find(std::string_view path) const {
  for (const auto& f : files_) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::optional<Response> StaticFiles::Serve(const Request& request) const {
  if (!request.path.starts_with(url_prefix_)) return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    Response r = Response::Json(405, Json{{"error", "method_not_allowed"}});
    r.headers.Set("Allow", "GET, HEAD");
    return r;
  }
  // Exact names only: no decoding, no "..", nothing outside the embedded table can be named.
  const EmbeddedFile* file = Find(std::string_view(request.path).substr(url_prefix_.size()));
  if (file == nullptr) return Response::Json(404, Json{{"error", "not_found"}});
  Response r;
  const std::string etag = ETagOf(file->bytes);
  r.headers.Set("ETag", etag);
  r.headers.Set("Cache-Control", "public, max-age=300");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  if (auto match = request.headers.Get("If-None-Match"); match && *match == etag) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.headers.Set("Content-Type", std::string(file->content_type));
  r.body = std::string(file->bytes);
  return r;
}

}  // namespace zta::http
