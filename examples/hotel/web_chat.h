// The hotel web chat (docs/hotel.md, "The web chat"), served by the Guest Assistant process: the
// person signs in with OpenID Connect at the idp (the chat is the registered app), chats with
// the Guest Assistant (replies and tool calls shown as they happen), approves a booking on the
// idp's consent page in a popup, and sees who did what in the confirmation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "zta/core/status.h"

namespace zta::hotel {

class HotelSystem;

struct WebChatOptions {
  // Address to listen on. Default: 127.0.0.1.
  std::string host = "127.0.0.1";
  // Port; 0 = a free one. Default: 0.
  int port = 0;
};

// Thread-safe.
class WebChat {
 public:
  // Binds the port and answers 503 "starting" until Attach (the chat app's redirect URIs must be
  // registered at the idp before the system starts, and they hold this port).
  static Result<std::unique_ptr<WebChat>> Listen(WebChatOptions options);
  ~WebChat();
  std::string BaseUrl() const;                    // http://127.0.0.1:PORT
  std::vector<std::string> RedirectUris() const;  // BaseUrl()+"/callback", +"/consent/callback"
  // Builds its Guest Assistant (system.MakeGuestAssistant with approval kConsent and a
  // WebConsentHandler whose presenter sends the consent URL to the signed-in user's page) and
  // starts serving. `system` must outlive this.
  Status Attach(HotelSystem& system);
  void Stop();

  class Impl;

 private:
  explicit WebChat(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zta::hotel
