// The steps of `zta demo` (demo.h), one object holding what they share.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "hotel/browser_user.h"
#include "hotel/demo.h"
#include "hotel/demo_support.h"
#include "hotel/system.h"
#include "hotel/token_log.h"
#include "hotel/web_chat.h"
#include "zta/core/clock.h"

namespace zta::hotel {

// The dates and ids the script uses (the seed's, hotel/seed.h).
struct DemoScript {
  std::string city = "Paris";
  std::string hotel_id, room_id;
  std::string check_in = "2027-03-01", check_out = "2027-03-03";
  int guests = 2;
};

class DemoRun {
 public:
  DemoRun(const DemoOptions& options, std::ostream& out);
  ~DemoRun();
  Status Setup();
  void Story();
  void Attacks();
  // Verifies state and audit, prints tokens, who booked, the checks; true when all held.
  bool Report();
  void KeepRunning();

 private:
  // Sends one guest message to `assistant` and prints the turn.
  void Say(GuestAssistant& assistant, agent::Conversation& conversation, const std::string& text);
  void Section(const std::string& title);
  void Expect(std::string what, bool ok, std::string detail = {});
  // A check of a step the model chooses to take (Check::model_step).
  void ExpectStep(std::string what, bool ok, std::string detail = {});
  void VerifyBookings();
  void VerifyRefusals();
  void VerifyAudit();
  void VerifyNoCredentialReachedAModel();
  void PrintWhoBooked();

  const DemoOptions options_;
  std::ostream& out_;
  SystemClock clock_;
  std::string data_dir_;
  bool remove_data_dir_ = false;
  int chat_port_ = 0;
  bool real_model_ = false;
  DemoScript script_;
  Transcript transcript_;
  TokenLog tokens_;
  GuestConsentRule rule_;
  std::unique_ptr<WebChat> chat_;  // --keep-running only; stopped after the system
  std::unique_ptr<HotelSystem> system_;
  std::unique_ptr<BrowserUser> browser_;
  std::unique_ptr<ScriptedConsentHandler> consent_;
  std::unique_ptr<GuestAssistant> assistant_, gullible_;
  std::vector<Check> checks_;
  std::string booking_id_;  // the guest's booking, once made
};

}  // namespace zta::hotel
