// The terminal chat (terminal_chat.h).
#include "hotel/terminal_chat.h"

#include <stdlib.h>

#include <filesystem>
#include <iostream>

#include "hotel/deployment.h"
#include "hotel/system.h"
#include "zta/auth/consent_handler.h"

namespace zta::hotel {
namespace {

void PrintMessage(std::ostream& out, const std::string& agent, const agent::Message& m,
                  const agent::ToolOutcome* outcome) {
  if (m.role == agent::Role::kAssistant && !m.content.empty() && agent == "guest_assistant") {
    out << "assistant> " << m.content << "\n";
  } else if (m.role == agent::Role::kTool) {
    out << "  (" << agent << ": " << m.tool_name << " "
        << (outcome ? agent::ToolStatusName(outcome->status) : "ok")
        << (outcome && !outcome->reason.empty() ? " — " + outcome->reason : "") << ")\n";
  }
  out.flush();
}

struct ChatSession {
  SystemClock clock;
  std::string dir;
  bool remove = false;
  std::unique_ptr<auth::LoopbackConsentHandler> consent;
  std::unique_ptr<HotelSystem> system;
  std::unique_ptr<GuestAssistant> assistant;
  ~ChatSession() {
    assistant.reset();
    system.reset();
    consent.reset();
    std::error_code ignored;
    if (remove) std::filesystem::remove_all(dir, ignored);
  }
};

Status Start(const ChatOptions& o, std::ostream& out, ChatSession& s) {
  if (o.approval != "consent" && o.approval != "backchannel") {
    return InvalidArgument("--approval must be consent or backchannel");
  }
  SystemOptions system;
  int chat_port = 0;
  if (!o.config.empty()) ZTA_RETURN_IF_ERROR(LoadDeployment(o.config, &system, &chat_port));
  ZTA_ASSIGN_OR_RETURN(system.model, ResolveModel(system.model, o.llm, o.llm_url, o.model, false));
  s.dir = o.data_dir;
  if (s.dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "zta-chat-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status(StatusCode::kUnavailable, "cannot create a temporary folder");
    }
    s.dir = pattern;
    s.remove = true;
  }
  system.data_dir = s.dir;
  auth::LoopbackConsentOptions loopback;
  loopback.out = &out;
  ZTA_ASSIGN_OR_RETURN(s.consent, auth::LoopbackConsentHandler::Start(std::move(loopback)));
  ZTA_ASSIGN_OR_RETURN(s.system, HotelSystem::Start(std::move(system), s.clock));
  GuestAssistantOptions guest;
  guest.consent = s.consent.get();
  guest.approval = o.approval == "backchannel" ? auth::Approval::kBackchannel
                                                : auth::Approval::kConsent;
  guest.observer = [&out](const std::string& agent, const agent::Message& m,
                          const agent::ToolOutcome* outcome) {
    PrintMessage(out, agent, m, outcome);
  };
  ZTA_ASSIGN_OR_RETURN(s.assistant, s.system->MakeGuestAssistant(std::move(guest)));
  return Status::Ok();
}

}  // namespace

int RunChat(const ChatOptions& options) {
  std::istream& in = options.in ? *options.in : std::cin;
  std::ostream& out = options.out ? *options.out : std::cout;
  ChatSession session;
  if (Status s = Start(options, out, session); !s.ok()) {
    std::cerr << "zta chat: " << s.ToString() << "\n";
    return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  const Registration& r = session.system->registration();
  out << "zta chat: the Guest Assistant (" << session.assistant->DescribeModel() << ")\n"
      << "  you are " << r.user_name << " (password in " << session.dir
      << "/demo-user-password)\n"
      << "  account page (backchannel approvals): " << session.system->idp_url() << "/account\n"
      << "  try: Find hotels in Paris from 2027-03-01 to 2027-03-03 for 2 guests\n";
  agent::Conversation conversation(r.user_name);
  std::string line;
  while (out << "you> " << std::flush, std::getline(in, line)) {
    if (line == "exit" || line == "quit") break;
    if (line.empty()) continue;
    conversation.Append(agent::Message::User(line));
    auto turn = session.assistant->Run(conversation);
    if (!turn.ok()) out << "  (the turn failed: " << turn.status().ToString() << ")\n";
  }
  return 0;
}

}  // namespace zta::hotel
