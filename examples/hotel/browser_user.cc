// The scripted browser (browser_user.h): a cookie jar, redirects, the login and consent forms.
#include "hotel/browser_user.h"

#include <cctype>

#include "zta/http/message.h"

namespace zta::hotel {
namespace {

constexpr int kMaxHops = 12;  // authorize → login → authorize → consent → app: 5 in practice

std::string DecodeEntities(std::string_view s) {
  static const std::pair<const char*, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''},
      {"&#x27;", '\''}, {"&nbsp;", ' '}};
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool replaced = false;
    if (s[i] == '&') {
      for (const auto& [name, c] : kEntities) {
        std::string_view n(name);
        if (s.substr(i, n.size()) == n) {
          out += c;
          i += n.size() - 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += s[i];
  }
  return out;
}

// The value of attribute `name` inside one tag's text ("<input type=\"hidden\" ...>").
std::string Attribute(std::string_view tag, std::string_view name) {
  std::string needle = " " + std::string(name) + "=\"";
  size_t at = tag.find(needle);
  if (at == std::string_view::npos) return "";
  size_t start = at + needle.size();
  size_t end = tag.find('"', start);
  if (end == std::string_view::npos) return "";
  return DecodeEntities(tag.substr(start, end - start));
}

// The inner texts of every <li class="CLASS"> (or every <li> of the section when CLASS is
// empty... kept simple: the consent page marks detail lines with class="detail").
std::vector<std::string> ListItems(std::string_view html, std::string_view marker) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = html.find(marker, at)) != std::string_view::npos) {
    size_t open_end = html.find('>', at);
    size_t close = html.find("</li>", open_end);
    if (open_end == std::string_view::npos || close == std::string_view::npos) break;
    out.push_back(VisibleText(html.substr(open_end + 1, close - open_end - 1)));
    at = close;
  }
  return out;
}

// An absolute URL for a Location value: absolute as is, "/path" against `base`'s origin.
Result<std::string> Resolve(const std::string& base, const std::string& location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  ZTA_ASSIGN_OR_RETURN(http::Url url, http::ParseUrl(base));
  if (location.empty() || location[0] != '/') {
    return Status(StatusCode::kUnavailable, "unexpected redirect target");
  }
  return url.Origin() + location;
}

std::string QueryOf(const std::string& url) {
  size_t q = url.find('?');
  if (q == std::string::npos) return "";
  size_t hash = url.find('#', q);
  return url.substr(q + 1, hash == std::string::npos ? std::string::npos : hash - q - 1);
}

}  // namespace

std::string VisibleText(std::string_view html) {
  std::string raw;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') {
      in_tag = true;
      raw += ' ';
    } else if (c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      raw += c;
    }
  }
  std::string decoded = DecodeEntities(raw), out;
  for (char c : decoded) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::pair<std::string, std::string>> HiddenInputs(std::string_view html) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t at = 0;
  while ((at = html.find("<input", at)) != std::string_view::npos) {
    size_t end = html.find('>', at);
    if (end == std::string_view::npos) break;
    std::string_view tag = html.substr(at, end - at);
    if (Attribute(tag, "type") == "hidden" && !Attribute(tag, "name").empty()) {
      out.emplace_back(Attribute(tag, "name"), Attribute(tag, "value"));
    }
    at = end;
  }
  return out;
}

BrowserUser::BrowserUser(std::string username, Secret password, ConsentDecider decide,
                         http::Transport transport)
    : username_(std::move(username)),
      password_(std::move(password)),
      decide_(std::move(decide)),
      transport_(transport ? std::move(transport) : http::DefaultTransport()) {}

std::vector<BrowserUser::Answer> BrowserUser::answers() const {
  MutexLock lock(mu_);
  return answers_;
}

Result<http::Response> BrowserUser::Fetch(const std::string& method, const std::string& url,
                                          const std::string& form_body) {
  http::ClientRequest request;
  request.method = method;
  request.url = url;
  std::string cookie;
  for (const auto& [name, value] : cookies_) {
    cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
  }
  if (!cookie.empty()) request.headers.Set("Cookie", cookie);
  if (method == "POST") {
    ZTA_ASSIGN_OR_RETURN(http::Url parsed, http::ParseUrl(url));
    request.headers.Set("Origin", parsed.Origin());  // as a browser sends on a form POST
    request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    request.body = form_body;
  }
  ZTA_ASSIGN_OR_RETURN(http::Response response, transport_(request));
  for (const std::string& set : response.headers.GetAll("Set-Cookie")) {
    size_t eq = set.find('='), semi = set.find(';');
    if (eq == std::string::npos || (semi != std::string::npos && semi < eq)) continue;
    std::string name = set.substr(0, eq);
    std::string value = set.substr(eq + 1, semi == std::string::npos ? semi : semi - eq - 1);
    bool expired = set.find("Max-Age=0") != std::string::npos || value.empty();
    if (expired) {
      cookies_.erase(name);
    } else {
      cookies_[name] = value;
    }
  }
  return response;
}

// Posts the page's only form with its hidden fields plus `extra`; returns the next URL.
Result<std::string> BrowserUser::Submit(const std::string& page_url, const std::string& html,
                                        std::vector<std::pair<std::string, std::string>> extra) {
  size_t form = html.find("<form");
  if (form == std::string::npos) return Status(StatusCode::kUnavailable, "page has no form");
  std::string action = Attribute(html.substr(form, html.find('>', form) - form), "action");
  ZTA_ASSIGN_OR_RETURN(std::string target, Resolve(page_url, action));
  auto fields = HiddenInputs(html);
  for (auto& f : extra) fields.push_back(std::move(f));
  ZTA_ASSIGN_OR_RETURN(http::Response answer, Fetch("POST", target, http::FormEncode(fields)));
  auto location = answer.headers.Get("Location");
  if (answer.status / 100 == 3 && location) return Resolve(target, *location);
  if (answer.status == 200) return target + "#page";  // a page again (a wrong password)
  return Status(StatusCode::kUnavailable,
                "the identity provider answered " + std::to_string(answer.status));
}

Result<std::string> BrowserUser::Walk(std::string url, const std::string& redirect_uri) {
  for (int hop = 0; hop < kMaxHops; ++hop) {
    if (url.rfind(redirect_uri, 0) == 0) return QueryOf(url);
    if (url.size() > 5 && url.compare(url.size() - 5, 5, "#page") == 0) {
      return Status(StatusCode::kUnauthenticated, "sign-in failed for " + username_);
    }
    ZTA_ASSIGN_OR_RETURN(http::Response page, Fetch("GET", url, ""));
    auto location = page.headers.Get("Location");
    if (page.status / 100 == 3 && location) {
      ZTA_ASSIGN_OR_RETURN(url, Resolve(url, *location));
      continue;
    }
    if (page.status != 200) {
      return Status(StatusCode::kUnavailable, "the identity provider answered " +
                                                  std::to_string(page.status) + " for a page");
    }
    if (page.body.find("name=\"password\"") != std::string::npos) {
      ZTA_ASSIGN_OR_RETURN(url, Submit(url, page.body,
                                       {{"username", username_}, {"password", password_.Reveal()}}));
      continue;
    }
    if (page.body.find("name=\"decision\"") != std::string::npos) {
      Answer answer;
      answer.page.text = VisibleText(page.body);
      answer.page.details = ListItems(page.body, "<li class=\"detail\"");
      size_t scopes = page.body.find("id=\"scopes\"");
      if (scopes != std::string::npos) {
        answer.page.permissions = ListItems(std::string_view(page.body).substr(scopes), "<li");
      }
      answer.allowed = decide_(answer.page);
      answers_.push_back(answer);
      ZTA_ASSIGN_OR_RETURN(url, Submit(url, page.body,
                                       {{"decision", answer.allowed ? "approve" : "deny"}}));
      continue;
    }
    return Status(StatusCode::kUnavailable, "a page the scripted browser cannot read");
  }
  return Status(StatusCode::kUnavailable, "too many redirects");
}

Result<std::string> BrowserUser::Authorize(const std::string& authorization_url,
                                           const std::string& redirect_uri) {
  MutexLock lock(mu_);
  return Walk(authorization_url, redirect_uri);
}

Result<std::string> ScriptedConsentHandler::AwaitRedirect(const auth::ConsentRequest& request,
                                                          std::chrono::milliseconds) {
  return user_.Authorize(request.authorization_url, redirect_uri_);
}

}  // namespace zta::hotel
