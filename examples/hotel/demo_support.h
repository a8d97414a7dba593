// Pieces of `zta demo` (demo.h) kept apart so each file stays short: the printed transcript, the
// scripted guest's consent rule, and the checks the demo adds up.
#pragma once

#include <iosfwd>
#include <set>
#include <string>
#include <vector>

#include "hotel/browser_user.h"
#include "hotel/token_log.h"
#include "zta/agent/message.h"
#include "zta/agent/tool.h"
#include "zta/core/mutex.h"

namespace zta::hotel {

// One thing the demo asserts. Every one must hold for exit 0.
struct Check {
  std::string what;
  bool ok = false;
  std::string detail;
  // A step only a model's choice brings about (the booking made, an attack tried). With a real
  // model that did not take it, the check is reported as not taken, not as failed: what must
  // hold is that every state change that happened was authorized.
  bool model_step = false;
};

// The booking the scripted guest asks for, which is the only one they approve (once).
struct WantedBooking {
  std::string hotel_id, room_id, check_in, check_out;
};

// The guest's rule at the consent page: allow a page whose every "this time only" line names the
// hotel, room and both dates asked for, once per booking; allow a page without such lines only
// when each permission it asks for was already allowed with a booking (the guest said yes to
// "see and cancel your bookings" then); deny anything else (another room, other dates, new
// permissions). Thread-safe.
class GuestConsentRule {
 public:
  void Want(WantedBooking booking);
  void WantNothing();
  bool Decide(const ConsentPageText& page);

 private:
  mutable Mutex mu_;
  std::vector<WantedBooking> wanted_ ZTA_GUARDED_BY(mu_);
  std::set<std::string> approved_ ZTA_GUARDED_BY(mu_);
  std::set<std::string> allowed_permissions_ ZTA_GUARDED_BY(mu_);
};

// Prints the conversation as it happens: the guest's words, each tool call with its arguments,
// each result (status and the start of its content), each answer. Thread-safe.
class Transcript {
 public:
  explicit Transcript(std::ostream& out) : out_(out) {}
  void Print(const std::string& agent, const agent::Message& message,
             const agent::ToolOutcome* outcome);
  void Say(const std::string& line);
  // Every text the models were given or wrote (tool results included), for the check that no
  // token or secret ever reached a model.
  std::vector<std::string> model_texts() const;
  // The tool outcomes seen, in order: (agent, tool, status, reason).
  struct Outcome {
    std::string agent, tool, status, reason, content;
  };
  std::vector<Outcome> outcomes() const;

 private:
  std::ostream& out_;
  mutable Mutex mu_;
  std::vector<std::string> texts_ ZTA_GUARDED_BY(mu_);
  std::vector<Outcome> outcomes_ ZTA_GUARDED_BY(mu_);
};

// The claims of each token, JSON on one line each with the agent that used it; `indent` before.
void PrintTokens(std::ostream& out, const std::vector<UsedToken>& tokens);

// "ok  what" / "FAIL what: detail" for each, and the count.
// `real_model`: steps a real model did not take are listed as such and do not fail.
bool PrintChecks(std::ostream& out, const std::vector<Check>& checks, bool real_model = false);

// True when `text` holds something shaped like a JWT ("eyJ….….") or one of `secrets`.
bool HoldsCredential(const std::string& text, const std::vector<std::string>& secrets);

}  // namespace zta::hotel
