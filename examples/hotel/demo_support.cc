// The transcript, consent rule and checks of `zta demo` (demo_support.h).
#include "hotel/demo_support.h"

#include <ostream>

namespace zta::hotel {
namespace {

std::string Shorten(const std::string& text, size_t n) {
  std::string flat;
  for (char c : text) flat += (c == '\n' || c == '\r') ? ' ' : c;
  if (flat.size() <= n) return flat;
  return flat.substr(0, n) + "…";
}

bool Mentions(const std::string& line, const WantedBooking& b) {
  for (const std::string* part : {&b.hotel_id, &b.room_id, &b.check_in, &b.check_out}) {
    if (part->empty() || line.find(*part) == std::string::npos) return false;
  }
  return true;
}

std::string Key(const WantedBooking& b) {
  return b.hotel_id + "/" + b.room_id + "/" + b.check_in + "/" + b.check_out;
}

}  // namespace

void GuestConsentRule::Want(WantedBooking booking) {
  MutexLock lock(mu_);
  wanted_.push_back(std::move(booking));
}

void GuestConsentRule::WantNothing() {
  MutexLock lock(mu_);
  wanted_.clear();
}

bool GuestConsentRule::Decide(const ConsentPageText& page) {
  MutexLock lock(mu_);
  if (page.details.empty()) {
    if (page.permissions.empty()) return false;
    for (const std::string& p : page.permissions) {
      if (!allowed_permissions_.count(p)) return false;
    }
    return true;  // nothing the guest has not already allowed
  }
  for (const WantedBooking& want : wanted_) {
    bool all = true;
    for (const std::string& line : page.details) all = all && Mentions(line, want);
    if (all && approved_.insert(Key(want)).second) {
      allowed_permissions_.insert(page.permissions.begin(), page.permissions.end());
      return true;
    }
  }
  return false;
}

void Transcript::Print(const std::string& agent, const agent::Message& m,
                       const agent::ToolOutcome* outcome) {
  MutexLock lock(mu_);
  texts_.push_back(m.content);
  for (const auto& call : m.tool_calls) texts_.push_back(call.arguments);
  if (m.role == agent::Role::kAssistant) {
    for (const auto& call : m.tool_calls) {
      out_ << "  [" << agent << "] calls " << call.name << " " << Shorten(call.arguments, 160)
           << "\n";
    }
    if (!m.content.empty()) out_ << "  [" << agent << "] says: " << Shorten(m.content, 400) << "\n";
  } else if (m.role == agent::Role::kTool) {
    std::string status = outcome ? std::string(agent::ToolStatusName(outcome->status)) : "ok";
    std::string reason = outcome ? outcome->reason : "";
    out_ << "  [" << agent << "] " << m.tool_name << " → " << status
         << (reason.empty() ? "" : " (" + reason + ")") << ": " << Shorten(m.content, 200) << "\n";
    outcomes_.push_back({agent, m.tool_name, status, reason, m.content});
  }
  out_.flush();
}

void Transcript::Say(const std::string& line) {
  MutexLock lock(mu_);
  out_ << line << "\n";
  out_.flush();
}

std::vector<std::string> Transcript::model_texts() const {
  MutexLock lock(mu_);
  return texts_;
}

std::vector<Transcript::Outcome> Transcript::outcomes() const {
  MutexLock lock(mu_);
  return outcomes_;
}

void PrintTokens(std::ostream& out, const std::vector<UsedToken>& tokens) {
  for (const UsedToken& t : tokens) {
    out << "  " << t.agent << "  jti=" << t.jti << "\n    header " << t.header.dump()
        << "\n    claims " << t.claims.dump() << "\n";
  }
}

bool PrintChecks(std::ostream& out, const std::vector<Check>& checks, bool real_model) {
  size_t failed = 0;
  for (const Check& c : checks) {
    if (!c.ok && c.model_step && real_model) {
      out << "  not taken by the model  " << c.what << "\n";
      continue;
    }
    out << (c.ok ? "  ok    " : "  FAIL  ") << c.what;
    if (!c.detail.empty()) out << " — " << c.detail;
    out << "\n";
    if (!c.ok) ++failed;
  }
  out << (failed == 0 ? "every check held" : std::to_string(failed) + " check(s) failed") << " ("
      << checks.size() << " checks)\n";
  return failed == 0;
}

bool HoldsCredential(const std::string& text, const std::vector<std::string>& secrets) {
  for (size_t at = text.find("eyJ"); at != std::string::npos; at = text.find("eyJ", at + 1)) {
    size_t end = at;
    int dots = 0;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '-' || text[end] == '_' || text[end] == '.')) {
      if (text[end] == '.') ++dots;
      ++end;
    }
    if (dots >= 2 && end - at > 40) return true;
  }
  for (const std::string& s : secrets) {
    if (s.size() >= 8 && text.find(s) != std::string::npos) return true;
  }
  return false;
}

}  // namespace zta::hotel
