// WebChat (web_chat.h): the HTTP listener, answering 503 until Attach gives it a ChatServer
// whose Guest Assistants the HotelSystem builds, one per signed-in session (an assistant's
// message observer is fixed when it is built, and each session's page gets its own events).
#include "web_chat.h"

#include "system.h"
#include "web_chat_server.h"
#include "zta/core/clock.h"
#include "zta/core/mutex.h"
#include "zta/core/toml_reader.h"
#include "zta/http/server.h"

namespace zta::hotel {

class WebChat::Impl {
 public:
  Status Listen(const WebChatOptions& options) {
    http::ServerOptions server;
    server.host = options.host;
    server.port = options.port;
    server.server_name = "zta-web-chat";
    ZTA_ASSIGN_OR_RETURN(http_, http::HttpServer::StartAsync(
                                    server, [this](const http::Request& r, http::Respond respond) {
                                      Handle(r, std::move(respond));
                                    }));
    return Status::Ok();
  }

  void Handle(const http::Request& request, http::Respond respond) {
    std::shared_ptr<ChatServer> chat;
    {
      MutexLock lock(mu_);
      chat = chat_;
    }
    if (!chat) {
      http::Response r = http::Response::Text(503, "starting\n");
      r.headers.Set("Retry-After", "1");
      return respond(std::move(r));
    }
    chat->Handle(request, std::move(respond));
  }

  Status Attach(HotelSystem& system);

  void Stop() {
    std::shared_ptr<ChatServer> chat;
    {
      MutexLock lock(mu_);
      chat = chat_;
    }
    if (chat) chat->Stop();
    if (http_) http_->Stop();
  }

  std::string BaseUrl() const { return http_->BaseUrl(); }

 private:
  SystemClock clock_;
  std::unique_ptr<http::HttpServer> http_;
  Mutex mu_;
  std::shared_ptr<ChatServer> chat_ ZTA_GUARDED_BY(mu_);
};

namespace {

// The chat app's client secret, from DIR/agents/chat-app.secret (written by HotelSystem, 0600).
Result<Secret> ReadAppSecret(const HotelSystem& system) {
  const std::string path = system.options().data_dir + "/agents/chat-app.secret";
  ZTA_ASSIGN_OR_RETURN(std::string value, ReadTextFile(path));
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) return FailedPrecondition("web chat: " + path + " is empty");
  return Secret(std::move(value));
}

// Builds one Guest Assistant for the chat: consent through the chat's WebConsentHandler.
AssistantFactory GuestAssistantFactory(HotelSystem& system) {
  return [&system](auth::ConsentHandler& consent,
                   agent::MessageObserver observer) -> Result<TurnRunner> {
    GuestAssistantOptions options;
    options.approval = auth::Approval::kConsent;
    options.consent = &consent;
    // The page shows the Guest Assistant's side of the conversation; the Booking Agent's own
    // turn is summed up by book_room's result.
    options.observer = [observer = std::move(observer)](const std::string& agent,
                                                        const agent::Message& m,
                                                        const agent::ToolOutcome* o) {
      if (observer && agent == "guest_assistant") observer(m, o);
    };
    ZTA_ASSIGN_OR_RETURN(auto built, system.MakeGuestAssistant(std::move(options)));
    std::shared_ptr<GuestAssistant> assistant(std::move(built));
    return TurnRunner(
        [assistant](agent::Conversation& conversation) { return assistant->Run(conversation); });
  };
}

}  // namespace

Status WebChat::Impl::Attach(HotelSystem& system) {
  {
    MutexLock lock(mu_);
    if (chat_) return FailedPrecondition("web chat: already attached");
  }
  OidcLoginOptions login;
  login.issuer = system.idp_url();
  login.client_id = system.registration().chat_app_id;
  ZTA_ASSIGN_OR_RETURN(login.client_secret, ReadAppSecret(system));
  login.redirect_uri = BaseUrl() + "/callback";
  login.resource = system.hotel_resource();
  ZTA_ASSIGN_OR_RETURN(auto oidc,
                       OidcLogin::Create(std::move(login), clock_, system.agents_audit()));
  ChatServerOptions options;
  options.base_url = BaseUrl();
  options.login = std::move(oidc);
  options.make_assistant = GuestAssistantFactory(system);
  options.agent_names = {{system.registration().guest_assistant_id, "Guest Assistant"},
                         {system.registration().booking_agent_id, "Booking Agent"}};
  ZTA_ASSIGN_OR_RETURN(auto chat, ChatServer::Create(std::move(options)));
  // Fails now rather than at the first message when the assistant cannot be built. Each session
  // builds its own (see the file comment); this one only proves it can be done.
  auto probe = GuestAssistantFactory(system)(chat->consent(), {});
  if (!probe.ok()) return probe.status();
  MutexLock lock(mu_);
  chat_ = std::move(chat);
  return Status::Ok();
}

WebChat::WebChat(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebChat::~WebChat() { Stop(); }

Result<std::unique_ptr<WebChat>> WebChat::Listen(WebChatOptions options) {
  auto impl = std::make_unique<Impl>();
  ZTA_RETURN_IF_ERROR(impl->Listen(options));
  return std::unique_ptr<WebChat>(new WebChat(std::move(impl)));
}

std::string WebChat::BaseUrl() const { return impl_->BaseUrl(); }

std::vector<std::string> WebChat::RedirectUris() const {
  return {BaseUrl() + "/callback", BaseUrl() + "/consent/callback"};
}

Status WebChat::Attach(HotelSystem& system) { return impl_->Attach(system); }

void WebChat::Stop() { impl_->Stop(); }

}  // namespace zta::hotel
