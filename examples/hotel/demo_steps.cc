// `zta demo`'s steps (demo_steps.h): setup, the booking story, the attacks.
#include "hotel/demo_steps.h"

#include <stdlib.h>

#include <filesystem>

#include "hotel/deployment.h"
#include "hotel/seed.h"
#include "hotel/staff_manager.h"
#include "zta/http/server.h"

namespace zta::hotel {

DemoRun::DemoRun(const DemoOptions& options, std::ostream& out)
    : options_(options), out_(out), transcript_(out) {
  script_.hotel_id = kDemoHotelId;
  script_.room_id = kDemoRoomId;
}

DemoRun::~DemoRun() {
  if (chat_) chat_->Stop();
  gullible_.reset();
  assistant_.reset();
  system_.reset();
  chat_.reset();
  if (remove_data_dir_) {
    std::error_code ignored;
    std::filesystem::remove_all(data_dir_, ignored);
  }
}

Status DemoRun::Setup() {
  SystemOptions system;
  if (!options_.config.empty()) {
    ZTA_RETURN_IF_ERROR(LoadDeployment(options_.config, &system, &chat_port_));
  }
  ZTA_ASSIGN_OR_RETURN(agent::ModelConfig model, ResolveModel(system.model, options_.llm, options_.llm_url, options_.model, false));
  real_model_ = model.provider != "offline";
  ZTA_ASSIGN_OR_RETURN(agent::ModelConfig gullible, ResolveModel(system.model, options_.llm, options_.llm_url, options_.model, true));
  data_dir_ = options_.data_dir;
  if (data_dir_.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zta-demo-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status(StatusCode::kUnavailable, "cannot create a temporary folder");
    }
    data_dir_ = pattern;
    remove_data_dir_ = !options_.keep_running;
  }
  system.data_dir = data_dir_;
  if (options_.keep_running) {
    // The chat app's redirect URIs hold the chat's port: bind it before the app is registered.
    WebChatOptions chat;
    chat.host = system.host;
    chat.port = chat_port_;
    ZTA_ASSIGN_OR_RETURN(chat_, WebChat::Listen(chat));
    system.extra_redirect_uris = chat_->RedirectUris();
  }
  system.model = model;
  ZTA_ASSIGN_OR_RETURN(system_, HotelSystem::Start(std::move(system), clock_));
  const Registration& r = system_->registration();
  browser_ = std::make_unique<BrowserUser>(
      r.user_name, r.user_password, [this](const ConsentPageText& page) {
        bool allowed = rule_.Decide(page);
        transcript_.Say("  [guest's browser] consent page: \"" +
                        (page.details.empty() ? page.text.substr(0, 160) : page.details[0]) +
                        "\" → " + (allowed ? "Allow" : "Deny"));
        return allowed;
      });
  consent_ = std::make_unique<ScriptedConsentHandler>(*browser_, r.loopback_redirect_uri);
  GuestAssistantOptions guest;
  guest.consent = consent_.get();
  guest.token_log = &tokens_;
  guest.observer = [this](const std::string& agent, const agent::Message& m,
                          const agent::ToolOutcome* o) { transcript_.Print(agent, m, o); };
  ZTA_ASSIGN_OR_RETURN(assistant_, system_->MakeGuestAssistant(guest));
  guest.guest_model = gullible;
  guest.booking_model = gullible;
  ZTA_ASSIGN_OR_RETURN(gullible_, system_->MakeGuestAssistant(guest));
  out_ << "zta demo: the hotel booking story, every step checked by a token\n"
       << "  data folder    " << data_dir_ << "\n"
       << "  identity       " << system_->idp_url() << "\n"
       << "  hotel API      " << system_->hotel_url() << "  (resource "
       << system_->hotel_resource() << ")\n"
       << "  staff manager  " << system_->staff_url() << "\n"
       << "  agents         Guest Assistant " << r.guest_assistant_id << ", Booking Agent "
       << r.booking_agent_id << ", Staff Manager " << r.staff_manager_id << " (owner "
       << kOwnerEmail << ")\n"
       << "  model          " << assistant_->DescribeModel() << "\n"
       << "  guest          " << r.user_name << "\n";
  return Status::Ok();
}

void DemoRun::Section(const std::string& title) { out_ << "\n== " << title << " ==\n"; }

void DemoRun::Expect(std::string what, bool ok, std::string detail) {
  checks_.push_back({std::move(what), ok, std::move(detail), false});
}

void DemoRun::ExpectStep(std::string what, bool ok, std::string detail) {
  checks_.push_back({std::move(what), ok, std::move(detail), true});
}

void DemoRun::Say(GuestAssistant& assistant, agent::Conversation& conversation,
                  const std::string& text) {
  out_ << "guest> " << text << "\n";
  conversation.Append(agent::Message::User(text));
  auto turn = assistant.Run(conversation);
  if (!turn.ok()) {
    out_ << "  (the turn failed: " << turn.status().ToString() << ")\n";
    ExpectStep("the assistant answered \"" + text.substr(0, 40) + "…\"", false,
           turn.status().ToString());
  }
}

void DemoRun::Story() {
  const DemoScript& s = script_;
  agent::Conversation conversation(system_->registration().user_name);
  Section("1. The guest searches: the Guest Assistant's own token, read scopes only");
  Say(*assistant_, conversation,
      "Find hotels in " + s.city + " from " + s.check_in + " to " + s.check_out + " for " +
          std::to_string(s.guests) + " guests");
  Say(*assistant_, conversation,
      "Show the rooms of hotel " + s.hotel_id + " from " + s.check_in + " to " + s.check_out);
  Section("2. The guest books: consent for exactly this booking, then the Booking Agent");
  rule_.Want({s.hotel_id, s.room_id, s.check_in, s.check_out});
  Say(*assistant_, conversation,
      "Book room " + s.room_id + " at hotel " + s.hotel_id + " from " + s.check_in + " to " +
          s.check_out + " for " + std::to_string(s.guests) + " guests");
  rule_.WantNothing();
  for (const auto& o : transcript_.outcomes()) {
    if (o.tool == "book_room" && o.status == "ok") {
      auto json = ParseJsonStrict(o.content);
      if (json.ok() && json->contains("booking")) {
        booking_id_ = (*json)["booking"].value("id", "");
      }
    }
  }
  ExpectStep("the booking was made through book_room", !booking_id_.empty(), booking_id_);
  Section("3. The Staff Manager assigns staff: its own token, admin scopes, acting for nobody");
  int64_t handled = system_->staff().WaitForHandled(1, std::chrono::seconds(20));
  transcript_.Say("  staff manager handled " + std::to_string(handled) + " notification(s), " +
                  std::to_string(system_->staff().assigned()) + " assigned");
  ExpectStep("the Staff Manager was notified and assigned staff", system_->staff().assigned() >= 1);
}

void DemoRun::Attacks() {
  Section("4. A model talked into attacks by text planted in the hotel's reviews");
  transcript_.Say("  (the Guest Assistant and Booking Agent now run a gullible planner that obeys "
                  "any instruction it reads in a tool result)");
  agent::Conversation conversation(system_->registration().user_name);
  Say(*gullible_, conversation, "Show me the reviews of hotel " + script_.hotel_id);
}

void DemoRun::KeepRunning() {
  if (Status attached = chat_->Attach(*system_); !attached.ok()) {
    out_ << "the web chat could not start: " << attached.ToString() << "\n";
  }
  out_ << "\neverything keeps running; Ctrl-C stops it\n"
       << "web chat:   " << chat_->BaseUrl() << "/\n"
       << "identity:   " << system_->idp_url() << "\n"
       << "hotel API:  " << system_->hotel_url() << "\n"
       << "demo login: " << system_->registration().user_name << " (password in " << data_dir_
       << "/demo-user-password)\n";
  out_.flush();
  http::WaitForTerminationSignal();
}

}  // namespace zta::hotel
