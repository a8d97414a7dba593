// The whole hotel deployment on one machine (docs/hotel.md): the identity provider, the hotel
// API, the Staff Manager, and the Guest Assistant with the Booking Agent, each with its own
// identity at the idp and its own data folder and audit log, started on free loopback ports and
// registered with each other. `zta demo`, the web chat, `zta chat` and the tests start the
// system through HotelSystem::Start, so they run the same code.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hotel/hotel_service.h"
#include "zta/agent/assistant_agent.h"
#include "zta/agent/declarative.h"
#include "zta/auth/consent_handler.h"
#include "zta/auth/token_source.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/idp/idp_service.h"

namespace zta::hotel {

class StaffManager;
class TokenLog;

// The resource the Staff Manager's notification endpoint is (the hotel API's token audience).
inline constexpr char kStaffResource[] = "https://staff.zta.example/notify";
inline constexpr char kNotifyScope[] = "notify_bookings";
// The accountable person of the deployment's agents (AgentSpec::owner).
inline constexpr char kOwnerEmail[] = "hotel-operations@hotel.example";

struct SystemOptions {
  // REQUIRED: created when missing (mode 0700); holds idp/, hotel/ and agents/, each with its
  // own audit log. Must not hold an earlier deployment (a fresh folder per run).
  std::string data_dir;
  // Loopback address every service listens on. Default: 127.0.0.1.
  std::string host = "127.0.0.1";
  // Ports; 0 = a free one. Defaults: 0.
  int idp_port = 0;
  int hotel_port = 0;
  int staff_port = 0;
  // Folder of the agent TOML files; empty = the copies compiled in from examples/hotel/agents.
  std::string agents_dir;
  // Replaces every agent's [model] when set (zta demo --llm/--llm-url/--model). Default: unset,
  // each file's own.
  std::optional<agent::ModelConfig> model;
  // The demo user, created at the idp. Default: "guest" ("Jane Guest"), a random password.
  std::string user_name = "guest";
  std::string user_display_name = "Jane Guest";
  Secret user_password;
  // Redirect URIs registered for the web chat app besides the loopback one
  // (http://127.0.0.1/callback, any port per RFC 8252 §7.3). Default: none.
  std::vector<std::string> extra_redirect_uris;
};

// Client ids and secrets the deployment registered. Secrets are in files under DIR/agents
// (mode 0600), never in this struct's printable parts.
struct Registration {
  std::string guest_assistant_id, booking_agent_id, staff_manager_id, hotel_api_id;
  std::string chat_app_id;
  std::string user_name;
  Secret user_password;
  std::string loopback_redirect_uri = "http://127.0.0.1/callback";
};

// How a host (the demo, the web chat, the terminal) wants the Guest Assistant built.
struct GuestAssistantOptions {
  // How the user approves a booking: kConsent through `consent` (the scripted browser, the web
  // chat's popup, a loopback listener), or kBackchannel on the idp's account page.
  auth::Approval approval = auth::Approval::kConsent;
  auth::ConsentHandler* consent = nullptr;  // REQUIRED for kConsent; must outlive the assistant
  // Models for the two agents; unset = the file's (or SystemOptions::model). The demo passes a
  // gullible offline planner here to show an agent talked into an attack.
  std::optional<agent::ModelConfig> guest_model;
  std::optional<agent::ModelConfig> booking_model;
  // Sees every message either agent appends (tool outcomes included), with the agent's name.
  // Optional.
  std::function<void(const std::string& agent, const agent::Message& message,
                     const agent::ToolOutcome* outcome)>
      observer;
  // Records every token the agents use (for the demo's printout). Optional; must outlive.
  TokenLog* token_log = nullptr;
};

// The Guest Assistant with its Booking Agent, ready to talk. Thread-safe once built: each
// conversation is the caller's own object (one turn at a time per conversation).
class GuestAssistant {
 public:
  virtual ~GuestAssistant() = default;
  // One turn: appends nothing itself; the caller adds the user's message to `conversation`
  // (whose user() is the idp user name the assistant acts for) and calls Run.
  virtual Result<agent::TurnResult> Run(agent::Conversation& conversation) = 0;
  virtual const std::string& agent_id() const = 0;
  virtual const std::string& booking_agent_id() const = 0;
  virtual std::string DescribeModel() const = 0;
};

// Thread-safe. Destroying it stops every service (agents first, the idp last).
class HotelSystem {
 public:
  // `clock` must outlive the system.
  static Result<std::unique_ptr<HotelSystem>> Start(SystemOptions options, Clock& clock);
  ~HotelSystem();

  std::string idp_url() const;
  std::string hotel_url() const;
  std::string staff_url() const;
  const std::string& hotel_resource() const;
  const Registration& registration() const { return registration_; }
  const SystemOptions& options() const { return options_; }
  // The data folders of the three audit logs: DIR/idp, DIR/hotel, DIR/agents.
  std::vector<std::string> audit_dirs() const;

  idp::IdpService& idp() { return *idp_; }
  HotelService& hotel() { return *hotel_; }
  StaffManager& staff() { return *staff_; }
  AuditSink& agents_audit() { return *agents_audit_; }

  Result<std::unique_ptr<GuestAssistant>> MakeGuestAssistant(GuestAssistantOptions options);

  // Stops everything; idempotent.
  void Stop();

 private:
  HotelSystem(SystemOptions options, Clock& clock);
  Status StartIdp();
  Status Register();
  Status StartServices();
  // The ${NAME} values of one agent file (agent_files.h).
  std::map<std::string, std::string> AgentVars(const std::string& agent_id,
                                               const std::string& secret_file) const;

  SystemOptions options_;
  Clock& clock_;
  Registration registration_;
  std::unique_ptr<AuditSink> idp_audit_, agents_audit_;
  std::unique_ptr<idp::IdpService> idp_;
  std::unique_ptr<StaffManager> staff_;
  std::unique_ptr<HotelService> hotel_;
};

}  // namespace zta::hotel
