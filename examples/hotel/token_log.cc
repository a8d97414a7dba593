// TokenLog and RecordingTokenSource (token_log.h).
#include "hotel/token_log.h"

#include "zta/core/base64url.h"

namespace zta::hotel {
namespace {

Json DecodeSegment(std::string_view segment) {
  auto bytes = Base64UrlDecode(segment);
  if (!bytes.ok()) return nullptr;
  auto json = ParseJsonStrict(*bytes);
  return json.ok() ? *json : Json();
}

}  // namespace

void TokenLog::Add(const std::string& agent, const auth::AccessToken& token) {
  UsedToken used;
  used.agent = agent;
  used.jti = token.jti;
  const std::string value = token.value.Reveal();
  size_t first = value.find('.');
  size_t second = first == std::string::npos ? first : value.find('.', first + 1);
  if (second != std::string::npos) {
    used.header = DecodeSegment(std::string_view(value).substr(0, first));
    used.claims = DecodeSegment(std::string_view(value).substr(first + 1, second - first - 1));
  }
  MutexLock lock(mu_);
  for (const UsedToken& t : tokens_) {
    if (!used.jti.empty() && t.jti == used.jti) return;
  }
  tokens_.push_back(std::move(used));
}

std::vector<UsedToken> TokenLog::tokens() const {
  MutexLock lock(mu_);
  return tokens_;
}

Result<auth::AccessToken> RecordingTokenSource::GetToken(const auth::TokenRequest& request) {
  auto token = inner_.GetToken(request);
  if (token.ok() && log_ != nullptr) log_->Add(agent_, *token);
  return token;
}

}  // namespace zta::hotel
