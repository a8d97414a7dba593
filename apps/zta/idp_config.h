// `zta idp serve --config FILE`: the server's settings in TOML (docs/idp.md, "Configuration").
// Flags given on the command line override the file.
#pragma once

#include <cstdint>
#include <string>

#include "zta/core/status.h"
#include "zta/http/server.h"
#include "zta/idp/authorization_server.h"

namespace zta::cli {

struct IdpServeSettings {
  std::string listen = "127.0.0.1:8080";
  std::string issuer;               // default: the bound base URL
  std::string alg = "ES256";        // algorithm of new signing keys
  int64_t rotation_overlap_seconds = 60;
  http::ServerOptions server;       // threads, limits, TLS (host and port come from listen)
  idp::AuthorizationServerOptions authorization;  // token lifetime, abuse limits, JWKS max-age
};

// Reads FILE into `settings` (keys absent from the file keep their values). Unknown keys, wrong
// types and unreadable files are InvalidArgument naming the key or the file.
Status LoadIdpServeConfig(const std::string& path, IdpServeSettings* settings);

}  // namespace zta::cli
