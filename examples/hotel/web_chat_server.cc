// ChatServer's routes (web_chat_server.h): the page, its files, sign-in and sign-out, the
// session, the events feed and the consent callback. The chat turns are in web_chat_turns.cc.
#include "web_chat_server.h"

#include <charconv>
#include <chrono>
#include <ctime>

#include "zta/core/secret.h"
#include "zta/http/web.h"
#include "zta/web/files.h"

namespace zta::hotel {
namespace {

using Form = std::vector<std::pair<std::string, std::string>>;

std::string FormValue(const Form& form, std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return v;
  }
  return "";
}

// A small page of the chat's own look: a heading, a sentence, and optionally a script of
// web/chat/ (CSP: no inline script).
http::Response SmallPage(int status, std::string_view title, std::string_view text,
                         std::string_view script = {}) {
  std::string body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                     http::HtmlEscape(title) +
                     "</title><link rel=\"stylesheet\" href=\"/static/chat/chat.css\">";
  if (!script.empty())
    body += "<script src=\"/static/chat/" + std::string(script) + "\" defer></script>";
  body += "</head><body class=\"small-page\"><main><h1>" + http::HtmlEscape(title) + "</h1><p>" +
          http::HtmlEscape(text) +
          "</p><p><a href=\"/\">Back to the chat</a></p></main></body></html>";
  return http::HtmlPage(status, std::move(body));
}

http::Response Redirect(std::string location) {
  http::Response r;
  r.status = 303;
  r.headers.Set("Location", std::move(location));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

// Now as ISO 8601 UTC ("2027-05-01T10:00:00Z").
std::string NowIso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

http::Response ApiError(int status, std::string_view error) {
  http::Response r = http::Response::Json(status, {{"error", error}});
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace

ChatServer::ChatServer(ChatServerOptions options)
    : options_(std::move(options)),
      sessions_(options_.max_sessions, options_.session_lifetime),
      files_(web::Files(), "/static/"),
      secure_cookies_(options_.base_url.starts_with("https:")) {}

Result<std::unique_ptr<ChatServer>> ChatServer::Create(ChatServerOptions options) {
  if (options.base_url.empty() || !options.login || !options.make_assistant) {
    return InvalidArgument("chat server: base_url, login and make_assistant are required");
  }
  while (options.base_url.ends_with('/')) options.base_url.pop_back();
  auto server = std::unique_ptr<ChatServer>(new ChatServer(std::move(options)));
  ChatServer* self = server.get();
  server->consent_ = std::make_unique<auth::WebConsentHandler>(
      server->ConsentRedirectUri(), [self](const auth::ConsentRequest& r) { self->Present(r); });
  server->ticker_ = std::thread([self] { self->Tick(); });
  return server;
}

ChatServer::~ChatServer() { Stop(); }

void ChatServer::Handle(const http::Request& request, http::Respond respond) {
  if (auto response = Route(request, respond)) respond(std::move(*response));
}

std::optional<http::Response> ChatServer::Route(const http::Request& request,
                                                http::Respond& respond) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path.starts_with("/static/chat/")) return files_.Serve(request);
  if (path == "/" && get) return Page(request);
  if (path == "/login" && get) return Login();
  if (path == "/callback" && get) return Callback(request);
  if (path == "/consent/callback" && get) return ConsentCallback(request);
  if (path == "/logout" && request.method == "POST") return Logout(request);
  if (path == "/api/session" && get) return SessionInfo(request);
  if (path == "/api/chat" && request.method == "POST") return Chat(request);
  if (path == "/api/events" && get) {
    Events(request, std::move(respond));
    return std::nullopt;
  }
  if (path == "/" || path == "/login" || path == "/callback" || path.starts_with("/api/") ||
      path == "/logout" || path == "/consent/callback") {
    return ApiError(405, "method_not_allowed");
  }
  return SmallPage(404, "Not found", "There is no such page here.");
}

http::Response ChatServer::Page(const http::Request&) const {
  const http::EmbeddedFile* index = files_.Find("chat/index.html");
  if (index == nullptr)
    return SmallPage(500, "Missing page", "web/chat/index.html is not built in.");
  return http::HtmlPage(200, std::string(index->bytes));
}

http::Response ChatServer::Login() {
  auto started = options_.login->Begin();
  if (!started.ok()) return SmallPage(503, "Sign-in unavailable", "Try again in a moment.");
  http::Response r = Redirect(started->authorization_url);
  r.status = 302;
  // Binds the sign-in to this browser (login CSRF): the callback must come with it.
  http::Cookie cookie{.name = kChatLoginCookie, .value = started->state, .max_age = 600};
  cookie.secure = secure_cookies_;
  (void)http::SetCookie(r, cookie);
  sessions_.AddLogin(std::move(*started), std::chrono::steady_clock::now());
  return r;
}

http::Response ChatServer::Callback(const http::Request& request) {
  auto form = http::ParseForm(request.query);
  const std::string state = form.ok() ? FormValue(*form, "state") : "";
  auto cookie = http::GetCookie(request.headers, kChatLoginCookie);
  if (state.empty() || !cookie || !ConstantTimeEquals(*cookie, state)) {
    return SmallPage(400, "Sign-in refused", "This sign-in was not started in this browser.");
  }
  const auto now = std::chrono::steady_clock::now();
  auto started = sessions_.TakeLogin(state, now);
  if (!started) return SmallPage(400, "Sign-in expired", "Start again with Sign in.");
  auto who = options_.login->Finish(*started, request.query);
  if (!who.ok()) {
    return SmallPage(400, "Sign-in failed",
                     "The identity provider's answer was not accepted (" + who.status().reason() +
                         "). Start again with Sign in.");
  }
  auto created = sessions_.Create(std::move(*who), now);
  if (!created.ok()) return SmallPage(503, "Too many sessions", "Try again later.");
  http::Response r = Redirect("/");
  http::Cookie session{.name = kChatSessionCookie, .value = created->first};
  session.secure = secure_cookies_;
  http::Cookie done{.name = kChatLoginCookie, .value = "", .max_age = 0};
  done.secure = secure_cookies_;
  (void)http::SetCookie(r, session);
  (void)http::SetCookie(r, done);
  return r;
}

std::shared_ptr<ChatSession> ChatServer::ApiSession(const http::Request& request,
                                                    std::optional<http::Response>& refusal) {
  auto session = sessions_.Find(request, std::chrono::steady_clock::now());
  if (!session) {
    refusal = ApiError(401, "not_signed_in");
    return nullptr;
  }
  if (request.method == "POST") {
    // CSRF: the Origin must be ours (browsers send it with every POST fetch), and the page
    // must echo its session's token, which only a same-origin script can read (/api/session).
    auto origin = request.headers.Get("Origin");
    auto token = request.headers.Get("X-ZTA-CSRF");
    if (!origin || *origin != options_.base_url || !token ||
        !ConstantTimeEquals(*token, session->csrf)) {
      refusal = ApiError(403, "csrf_refused");
      return nullptr;
    }
  }
  return session;
}

http::Response ChatServer::Logout(const http::Request& request) {
  std::optional<http::Response> refusal;
  auto session = ApiSession(request, refusal);
  if (!session) return std::move(*refusal);
  Cancel(sessions_.End(session));
  http::Response r = http::Response::Json(200, {{"signed_in", false}});
  http::Cookie gone{.name = kChatSessionCookie, .value = "", .max_age = 0};
  gone.secure = secure_cookies_;
  (void)http::SetCookie(r, gone);
  return r;
}

http::Response ChatServer::SessionInfo(const http::Request& request) {
  std::optional<http::Response> refusal;
  auto session = ApiSession(request, refusal);
  if (!session) return http::Response::Json(401, {{"signed_in", false}});
  bool busy = false;
  {
    MutexLock lock(session->mu);
    busy = session->busy;
  }
  http::Response r = http::Response::Json(200, {{"signed_in", true},
                                                {"user", session->who.user},
                                                {"name", session->who.display_name},
                                                {"csrf", session->csrf},
                                                {"conversation_id", session->conversation_id},
                                                {"busy", busy},
                                                {"last_event", session->feed.last_seq()}});
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

void ChatServer::Events(const http::Request& request, http::Respond respond) {
  std::optional<http::Response> refusal;
  auto session = ApiSession(request, refusal);
  if (!session) return respond(std::move(*refusal));
  auto form = http::ParseForm(request.query);
  const std::string after_text = form.ok() ? FormValue(*form, "after") : "";
  int64_t after = 0;
  if (!after_text.empty()) {
    auto [end, ec] =
        std::from_chars(after_text.data(), after_text.data() + after_text.size(), after);
    if (ec != std::errc() || end != after_text.data() + after_text.size() || after < 0) {
      return respond(ApiError(400, "bad_after"));
    }
  }
  session->feed.Poll(after, std::chrono::steady_clock::now() + options_.poll_timeout,
                     std::move(respond));
}

http::Response ChatServer::ConsentCallback(const http::Request& request) {
  auto form = http::ParseForm(request.query);
  const std::string state = form.ok() ? FormValue(*form, "state") : "";
  auto session = sessions_.Find(request, std::chrono::steady_clock::now());
  bool shown = false;
  if (session && !state.empty()) {
    MutexLock lock(session->mu);
    shown = session->consent_states.erase(state) > 0;
  }
  // Only the session the request was shown to may answer it, and only while it waits.
  const bool denied = form.ok() && !FormValue(*form, "error").empty();
  if (shown) {
    {
      MutexLock lock(mu_);
      open_consents_.erase(state);
    }
    // Before Complete: the unblocked turn may report the booking at once.
    MutexLock lock(session->mu);
    if (!denied) session->approved_at = NowIso8601();
  }
  if (!shown || !consent_->Complete(state, request.query)) {
    return SmallPage(400, "Unknown approval", "This approval is not one the chat is waiting for.");
  }
  return SmallPage(200, denied ? "Not approved" : "Approved",
                   denied ? "You declined. You can close this window."
                          : "Thank you. The assistant carries on; you can close this window.",
                   "closed.js");
}

}  // namespace zta::hotel
