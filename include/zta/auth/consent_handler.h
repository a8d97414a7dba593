// How the SDK asks a person to approve an agent acting for them (docs/auth.md, "Acting for
// users"): a ConsentHandler shows the authorization URL the SDK built and hands back the query of
// the authorization server's redirect. Two ship: LoopbackConsentHandler for command-line tools
// (RFC 8252 §7.3 loopback redirect) and WebConsentHandler for a web front end that receives the
// redirect on its own callback route.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::auth {

// What the person is asked to approve. Holds no secret: the PKCE verifier stays in the SDK, and
// the URL carries only the challenge (or, with PAR, just a request_uri).
struct ConsentRequest {
  std::string authorization_url;  // open this in the person's browser
  std::string state;              // RFC 6749 §10.12: the redirect must carry it back
  std::string user;               // on_behalf_of, sent as login_hint
  std::string agent;              // the agent's client_id, sent as requested_actor
  std::string app;                // the app's client_id
  std::string resource;           // RFC 8707
  std::vector<std::string> scopes;
  Json authorization_details;  // RFC 9396; null when none
};

// Thread safety is each implementation's; both shipped here are thread-safe and may wait for
// several requests at once (told apart by state).
class ConsentHandler {
 public:
  virtual ~ConsentHandler() = default;
  // The redirect_uri the authorization server sends the browser back to; it must be registered
  // for the app (zta idp app add --redirect-uri).
  virtual std::string RedirectUri() const = 0;
  // Shows `request` to the person and blocks until the redirect for request.state arrives;
  // returns its query string as received ("code=…&state=…&iss=…", or "error=access_denied&…").
  // kDeadlineExceeded after `timeout`. The SDK, not the handler, checks state and iss.
  virtual Result<std::string> AwaitRedirect(const ConsentRequest& request,
                                            std::chrono::milliseconds timeout) = 0;
};

// Called when a person must be shown a consent request. Must not block for long: it runs on the
// thread that asked for the token, before the wait starts.
using ConsentPresenter = std::function<void(const ConsentRequest&)>;

struct LoopbackConsentOptions {
  // Where to listen: a loopback address only (RFC 8252 §8.3). Default: "127.0.0.1".
  std::string host = "127.0.0.1";
  // Default: 0, a free port chosen by the system (RFC 8252 §7.3: the idp accepts any port for a
  // loopback redirect URI registered without one).
  int port = 0;
  // Path of the redirect URI. Default: "/callback".
  std::string path = "/callback";
  // Shows the request. Default: prints "Open this URL to approve: <url>" to `out`.
  ConsentPresenter present;
  // Where the default presenter prints. Default: std::cerr.
  std::ostream* out = nullptr;
};

// A redirect listener on loopback for CLIs (RFC 8252 §7.3): redirect_uri is
// http://127.0.0.1:PORT/callback; the browser gets a small "you can close this window" page.
// A redirect whose state matches no waiting request goes to the only waiting request when there
// is exactly one (so the SDK reports state_mismatch instead of timing out), else gets a 400 page.
// Thread-safe.
class LoopbackConsentHandler final : public ConsentHandler {
 public:
  static Result<std::unique_ptr<LoopbackConsentHandler>> Start(LoopbackConsentOptions options = {});
  ~LoopbackConsentHandler() override;

  std::string RedirectUri() const override;
  Result<std::string> AwaitRedirect(const ConsentRequest& request,
                                    std::chrono::milliseconds timeout) override;
  int port() const;

  class Impl;

 private:
  explicit LoopbackConsentHandler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// For a web front end: `present` shows the request to the signed-in person (a link, a popup, a
// redirect of their browser), and the front end's own callback route at `redirect_uri` calls
// Complete with the query it received, which unblocks the waiting AwaitRedirect. Thread-safe.
class WebConsentHandler final : public ConsentHandler {
 public:
  // `redirect_uri` is the front end's callback URL, registered for the app. REQUIRED.
  WebConsentHandler(std::string redirect_uri, ConsentPresenter present);
  ~WebConsentHandler() override;

  std::string RedirectUri() const override { return redirect_uri_; }
  Result<std::string> AwaitRedirect(const ConsentRequest& request,
                                    std::chrono::milliseconds timeout) override;

  // Hands the redirect's raw query to the request waiting under `state` (the state the front end
  // kept from the ConsentRequest, e.g. in the person's session). False when none waits for it.
  bool Complete(std::string_view state, std::string_view query);
  // The same, the waiting request found by the query's own `state`.
  bool Complete(std::string_view query);
  // Requests waiting now.
  size_t waiting() const;

  class Waiters;

 private:
  const std::string redirect_uri_;
  const ConsentPresenter present_;
  std::unique_ptr<Waiters> waiters_;
};

}  // namespace zta::auth
