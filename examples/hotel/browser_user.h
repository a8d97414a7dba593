// A scripted person at a browser, for `zta demo` and tests: opens the authorization URL the SDK
// built, follows the identity provider's redirects with a cookie jar, signs in on the real login
// page, reads the real consent page and answers it — over HTTP, exactly as a browser would — and
// hands back the query of the redirect to the app. ScriptedConsentHandler plugs it into the SDK
// as an auth::ConsentHandler.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "zta/auth/consent_handler.h"
#include "zta/core/mutex.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/http/client.h"

namespace zta::hotel {

// What the consent page said, as a person reads it.
struct ConsentPageText {
  std::string text;                      // the page's visible text, tags removed
  std::vector<std::string> details;      // each "This time only" line (authorization_details)
  std::vector<std::string> permissions;  // each scope in words
};

// Decides a consent page: true to allow, false to deny.
using ConsentDecider = std::function<bool(const ConsentPageText& page)>;

// Thread-safe: one request at a time (a person has one browser).
class BrowserUser {
 public:
  BrowserUser(std::string username, Secret password, ConsentDecider decide,
              http::Transport transport = http::DefaultTransport());

  // Opens `authorization_url`, signs in when the login page asks, lets `decide` answer the
  // consent page, and stops at the first redirect to `redirect_uri` (not followed): returns its
  // query ("code=…&state=…&iss=…" or "error=access_denied&…"). Errors: kUnavailable for a page
  // it cannot read or a redirect loop, kUnauthenticated when sign-in fails.
  Result<std::string> Authorize(const std::string& authorization_url,
                                const std::string& redirect_uri);

  // Every consent page seen so far and whether it was allowed, in order.
  struct Answer {
    ConsentPageText page;
    bool allowed = false;
  };
  std::vector<Answer> answers() const;

 private:
  Result<http::Response> Fetch(const std::string& method, const std::string& url,
                               const std::string& form_body) ZTA_REQUIRES(mu_);
  Result<std::string> Submit(const std::string& page_url, const std::string& html,
                             std::vector<std::pair<std::string, std::string>> extra)
      ZTA_REQUIRES(mu_);
  Result<std::string> Walk(std::string url, const std::string& redirect_uri) ZTA_REQUIRES(mu_);

  const std::string username_;
  const Secret password_;
  const ConsentDecider decide_;
  const http::Transport transport_;
  mutable Mutex mu_;
  std::map<std::string, std::string> cookies_ ZTA_GUARDED_BY(mu_);  // one site: the idp
  std::vector<Answer> answers_ ZTA_GUARDED_BY(mu_);
};

// The SDK's consent handler backed by a BrowserUser: the redirect URI need not listen, since
// the scripted browser reads the redirect instead of following it. Thread-safe.
class ScriptedConsentHandler final : public auth::ConsentHandler {
 public:
  // `user` must outlive this. `redirect_uri` must be registered for the app.
  ScriptedConsentHandler(BrowserUser& user, std::string redirect_uri)
      : user_(user), redirect_uri_(std::move(redirect_uri)) {}
  std::string RedirectUri() const override { return redirect_uri_; }
  Result<std::string> AwaitRedirect(const auth::ConsentRequest& request,
                                    std::chrono::milliseconds timeout) override;

 private:
  BrowserUser& user_;
  const std::string redirect_uri_;
};

// HTML helpers the scripted browser uses, exposed for tests: the visible text of `html` (tags
// removed, entities decoded, whitespace collapsed), and the name/value pairs of its hidden
// inputs.
std::string VisibleText(std::string_view html);
std::vector<std::pair<std::string, std::string>> HiddenInputs(std::string_view html);

}  // namespace zta::hotel
