// Test driver for browser_delegation.mjs: the SDK side of acting for a user, as an agent process
// would run it. zta::auth::DelegatedTokenSource with a LoopbackConsentHandler (RFC 8252 §7.3)
// builds the authorization request (PKCE, state, requested_actor, resource, authorization_details,
// PAR when advertised) and waits for the browser's redirect; the Node test opens the URL in
// chromium and completes login and consent. One JSON object per line on stdout:
//   {"event":"consent","url":…,"state":…,"redirect_uri":…}   when a person must approve
//   {"event":"token","access_token":…,"jti":…,"scopes":[…],"expires_at":…,"counters":{…}}
//   {"event":"error","reason":…,"message":…,"counters":{…}}
// Commands, one per line on stdin: "get" (GetToken), "invalidate" (drop the access token, keep
// the refresh token: the next get refreshes silently). EOF ends the process.
// Usage: sdk_consent_client --issuer URL --agent-id ID --agent-secret S --app-id ID
//          [--app-secret S] --resource URI --scope S --user NAME [--details JSON]
//          [--consent-timeout-ms N]
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "zta/auth/auth_provider.h"
#include "zta/auth/consent_handler.h"
#include "zta/auth/delegation.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/mutex.h"

namespace {

zta::Mutex out_mu;  // the presenter runs on the thread that asked; lines stay whole

void Emit(const zta::Json& line) {
  zta::MutexLock lock(out_mu);
  std::cout << line.dump() << std::endl;  // flushed: the test reads line by line
}

zta::Json Counters(const zta::auth::DelegatedTokenSource& source) {
  return {{"consents_started", source.consents_started()},
          {"codes_redeemed", source.codes_redeemed()},
          {"refreshes", source.refreshes()}};
}

int Fail(const std::string& what, const zta::Status& status) {
  Emit({{"event", "error"},
        {"reason", status.reason()},
        {"message", what + ": " + status.ToString()}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  for (const char* required : {"--issuer", "--agent-id", "--agent-secret", "--app-id", "--resource",
                               "--scope", "--user"}) {
    if (args[required].empty()) {
      std::cerr << "sdk_consent_client: " << required << " is required\n";
      return 2;
    }
  }
  const zta::Clock& clock = zta::SystemClock::Instance();

  zta::auth::AuthProviderOptions agent_options;
  agent_options.issuer = args["--issuer"];
  agent_options.client_id = args["--agent-id"];
  agent_options.client_secret = zta::Secret(args["--agent-secret"]);
  agent_options.max_attempts = 1;
  auto agent = zta::auth::AuthProvider::Create(agent_options, clock);
  if (!agent.ok()) return Fail("AuthProvider::Create", agent.status());

  zta::auth::LoopbackConsentOptions loopback;
  loopback.present = [](const zta::auth::ConsentRequest& request) {
    Emit({{"event", "consent"}, {"url", request.authorization_url}, {"state", request.state}});
  };
  auto handler = zta::auth::LoopbackConsentHandler::Start(loopback);
  if (!handler.ok()) return Fail("LoopbackConsentHandler::Start", handler.status());

  zta::auth::DelegationOptions options;
  options.app_client_id = args["--app-id"];
  options.app_client_secret = zta::Secret(args["--app-secret"]);  // empty: a public app
  if (!args["--consent-timeout-ms"].empty()) {
    options.consent_timeout = std::chrono::milliseconds(std::stoll(args["--consent-timeout-ms"]));
  }
  auto source = zta::auth::DelegatedTokenSource::Create(options, **agent, handler->get(), clock);
  if (!source.ok()) return Fail("DelegatedTokenSource::Create", source.status());
  Emit({{"event", "ready"}, {"redirect_uri", (*handler)->RedirectUri()}});

  zta::auth::TokenRequest request;
  request.resource = args["--resource"];
  request.scopes = {args["--scope"]};
  request.on_behalf_of = args["--user"];
  if (!args["--details"].empty()) {
    auto details = zta::ParseJsonStrict(args["--details"]);
    if (!details.ok()) return Fail("--details", details.status());
    request.authorization_details = *details;
  }

  std::string command;
  while (std::getline(std::cin, command)) {
    if (command == "get") {
      auto token = (*source)->GetToken(request);
      if (!token.ok()) {
        Emit({{"event", "error"},
              {"reason", token.status().reason()},
              {"message", token.status().ToString()},
              {"counters", Counters(**source)}});
        continue;
      }
      Emit({{"event", "token"},
            {"access_token", token->value.Reveal()},
            {"jti", token->jti},
            {"scopes", token->scopes},
            {"expires_at", token->expires_at},
            {"counters", Counters(**source)}});
    } else if (command == "invalidate") {
      (*source)->Invalidate(request);
      Emit({{"event", "invalidated"}});
    } else if (!command.empty()) {
      Emit({{"event", "error"}, {"reason", "bad_command"}, {"message", command}});
    }
  }
  return 0;
}
