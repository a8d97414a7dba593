// Starting the whole hotel deployment (system.h): the identity provider first, then the
// registrations every other part needs (resources, agents, the delegation rule, the chat app,
// the demo user), then the Staff Manager, the hotel API and the agents.
#include "hotel/system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "hotel/agent_builder.h"
#include "hotel/agent_files.h"
#include "hotel/booking_tools.h"
#include "hotel/private_file.h"
#include "hotel/staff_manager.h"
#include "zta/agent/agent_tool.h"
#include "zta/audit/durable_sink.h"
#include "zta/core/random.h"
#include "zta/core/trace_context.h"
#include "zta/core/toml_reader.h"

namespace zta::hotel {
namespace {

namespace fs = std::filesystem;




Status MakePrivateDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status(StatusCode::kFailedPrecondition, "cannot create " + path);
  ::chmod(path.c_str(), 0700);
  return Status::Ok();
}

Result<std::unique_ptr<AuditSink>> OpenAudit(const std::string& dir, Clock& clock) {
  audit::DurableAuditSinkOptions options;
  options.data_dir = dir;
  ZTA_ASSIGN_OR_RETURN(auto sink, audit::DurableAuditSink::Open(options, clock));
  return std::unique_ptr<AuditSink>(std::move(sink));
}


// The Guest Assistant and its Booking Agent (GuestAssistant in system.h).
class GuestAssistantImpl final : public GuestAssistant {
 public:
  std::unique_ptr<BuiltAgent> booking, guest;  // guest's tools point into booking: destroyed first
  std::shared_ptr<const agent::Tool> booking_tool;

  ~GuestAssistantImpl() override {
    guest.reset();
    booking_tool.reset();
    booking.reset();
  }
  Result<agent::TurnResult> Run(agent::Conversation& conversation) override {
    if (conversation.trace_id().empty()) {
      ZTA_ASSIGN_OR_RETURN(std::string trace, NewTraceId());
      conversation.set_trace_id(std::move(trace));
    }
    return guest->agent->Run(conversation);
  }
  const std::string& agent_id() const override { return guest->client_id; }
  const std::string& booking_agent_id() const override { return booking->client_id; }
  std::string DescribeModel() const override { return guest->model->Describe(); }
};

std::vector<std::string> ScopesOf(const Json& table, std::vector<std::string> fallback) {
  if (!table.is_object() || !table.contains("scopes") || !table["scopes"].is_array()) {
    return fallback;
  }
  std::vector<std::string> out;
  for (const Json& s : table["scopes"]) {
    if (s.is_string()) out.push_back(s);
  }
  return out;
}

}  // namespace

HotelSystem::HotelSystem(SystemOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

HotelSystem::~HotelSystem() { Stop(); }

Result<std::unique_ptr<HotelSystem>> HotelSystem::Start(SystemOptions options, Clock& clock) {
  if (options.data_dir.empty()) return InvalidArgument("the hotel system needs a data folder");
  if (fs::exists(fs::path(options.data_dir) / "idp")) {
    return Status(StatusCode::kFailedPrecondition,
                  options.data_dir + " already holds a deployment; use a new folder");
  }
  if (options.user_password.empty()) {
    ZTA_ASSIGN_OR_RETURN(std::string password, RandomToken(12));
    options.user_password = Secret(password);
  }
  std::unique_ptr<HotelSystem> system(new HotelSystem(std::move(options), clock));
  const std::string& dir = system->options_.data_dir;
  for (const char* sub : {"", "/idp", "/hotel", "/agents"}) {
    ZTA_RETURN_IF_ERROR(MakePrivateDir(dir + sub));
  }
  ZTA_RETURN_IF_ERROR(WritePrivateFile(dir + "/demo-user-password",
                                       system->options_.user_password.Reveal() + "\n"));
  ZTA_RETURN_IF_ERROR(system->StartIdp());
  ZTA_RETURN_IF_ERROR(system->Register());
  ZTA_RETURN_IF_ERROR(system->StartServices());
  return system;
}

Status HotelSystem::StartIdp() {
  ZTA_ASSIGN_OR_RETURN(idp_audit_, OpenAudit(options_.data_dir + "/idp", clock_));
  ZTA_ASSIGN_OR_RETURN(agents_audit_, OpenAudit(options_.data_dir + "/agents", clock_));
  idp::IdpServiceOptions idp;
  idp.data_dir = options_.data_dir + "/idp";
  idp.server.host = options_.host;
  idp.server.port = options_.idp_port;
  ZTA_ASSIGN_OR_RETURN(idp_, idp::IdpService::Start(std::move(idp), *idp_audit_, clock_));
  return Status::Ok();
}

std::string HotelSystem::idp_url() const { return idp_->issuer(); }
std::string HotelSystem::hotel_url() const { return hotel_->BaseUrl(); }
std::string HotelSystem::staff_url() const { return staff_->BaseUrl(); }
const std::string& HotelSystem::hotel_resource() const { return hotel_->resource(); }

std::vector<std::string> HotelSystem::audit_dirs() const {
  const std::string& d = options_.data_dir;
  return {d + "/idp", d + "/hotel", d + "/agents"};
}

std::map<std::string, std::string> HotelSystem::AgentVars(const std::string& agent_id,
                                                          const std::string& secret_file) const {
  const std::string agents = options_.data_dir + "/agents";
  return {{"IDP_URL", idp_url()},
          {"HOTEL_URL", hotel_ ? hotel_url() : std::string()},
          {"HOTEL_RESOURCE", kDefaultResource},
          {"AGENT_ID", agent_id},
          {"AGENT_SECRET_FILE", agents + "/" + secret_file},
          {"APP_ID", registration_.chat_app_id},
          {"APP_SECRET_FILE", agents + "/chat-app.secret"}};
}

Status HotelSystem::StartServices() {
  const std::string agents = options_.data_dir + "/agents";
  StaffManagerOptions staff;
  staff.server.host = options_.host;
  staff.server.port = options_.staff_port;
  staff.issuer = idp_url();
  staff.resource = kStaffResource;
  staff.notify_scope = kNotifyScope;
  staff.hotel_client_id = registration_.hotel_api_id;
  ZTA_ASSIGN_OR_RETURN(staff_, StaffManager::Start(std::move(staff), clock_, *agents_audit_));

  HotelServiceOptions hotel;
  hotel.data_dir = options_.data_dir + "/hotel";
  hotel.server.host = options_.host;
  hotel.server.port = options_.hotel_port;
  guard::TrustedIssuer issuer;
  issuer.issuer = idp_url();
  hotel.issuers.push_back(issuer);
  hotel.booking_chain = {registration_.booking_agent_id, registration_.guest_assistant_id};
  hotel.notify_url = staff_->NotifyUrl();
  hotel.notify_resource = kStaffResource;
  auth::AuthProviderOptions identity;
  identity.issuer = idp_url();
  identity.client_id = registration_.hotel_api_id;
  ZTA_ASSIGN_OR_RETURN(std::string secret, ReadTextFile(agents + "/hotel-api.secret"));
  identity.client_secret = Secret(secret);
  hotel.identity = std::move(identity);
  ZTA_ASSIGN_OR_RETURN(hotel_, HotelService::Start(std::move(hotel), clock_));

  ZTA_ASSIGN_OR_RETURN(HotelAgentFile file,
                       LoadHotelAgentFile(options_.agents_dir, kStaffManagerFile,
                                          AgentVars(registration_.staff_manager_id,
                                                    "staff-manager.secret")));
  AgentBuildOptions build;
  build.model = options_.model;
  ZTA_ASSIGN_OR_RETURN(auto built, BuildAgent(file, build, *agents_audit_, clock_));
  staff_->Attach(std::move(built));
  return Status::Ok();
}

Result<std::unique_ptr<GuestAssistant>> HotelSystem::MakeGuestAssistant(
    GuestAssistantOptions options) {
  auto made = std::make_unique<GuestAssistantImpl>();
  ZTA_ASSIGN_OR_RETURN(HotelAgentFile booking_file,
                       LoadHotelAgentFile(options_.agents_dir, kBookingAgentFile,
                                          AgentVars(registration_.booking_agent_id,
                                                    "booking-agent.secret")));
  AgentBuildOptions build;
  build.model = options.booking_model ? options.booking_model : options_.model;
  build.token_log = options.token_log;
  auto observe = [&options](const std::string& name) -> agent::MessageObserver {
    if (!options.observer) return {};
    auto observer = options.observer;
    return [observer, name](const agent::Message& m, const agent::ToolOutcome* o) {
      observer(name, m, o);
    };
  };
  build.observer = observe(booking_file.config.agent.name);
  ZTA_ASSIGN_OR_RETURN(made->booking, BuildAgent(booking_file, build, *agents_audit_, clock_));
  ZTA_ASSIGN_OR_RETURN(
      auto create_booking,
      MakeCreateBookingTool(hotel_url(), hotel_resource(),
                            ScopesOf(booking_file.hotel.value("create_booking", Json()),
                                     {"create_bookings"}),
                            *made->booking->own_tokens));
  ZTA_RETURN_IF_ERROR(made->booking->agent->AddTool(create_booking));
  ZTA_ASSIGN_OR_RETURN(auto booking_tool,
                       agent::AgentTool::Create("booking_agent",
                                                "Hands a booking the guest approved to the "
                                                "Booking Agent",
                                                *made->booking->agent));
  made->booking_tool = std::move(booking_tool);

  ZTA_ASSIGN_OR_RETURN(HotelAgentFile guest_file,
                       LoadHotelAgentFile(options_.agents_dir, kGuestAssistantFile,
                                          AgentVars(registration_.guest_assistant_id,
                                                    "guest-assistant.secret")));
  build.model = options.guest_model ? options.guest_model : options_.model;
  build.consent = options.consent;
  build.observer = observe(guest_file.config.agent.name);
  ZTA_ASSIGN_OR_RETURN(made->guest, BuildAgent(guest_file, build, *agents_audit_, clock_));
  BookRoomSettings book;
  book.hotel_url = hotel_url();
  book.resource = hotel_resource();
  book.scopes = ScopesOf(guest_file.hotel.value("book_room", Json()), book.scopes);
  book.approval = options.approval;
  auth::TokenSource& user_tokens = options.approval == auth::Approval::kBackchannel
                                       ? static_cast<auth::TokenSource&>(*made->guest->own_tokens)
                                       : *made->guest->tool_tokens;
  ZTA_ASSIGN_OR_RETURN(auto book_room, MakeBookRoomTool(book, user_tokens,
                                                        *made->guest->own_tokens,
                                                        made->booking_tool));
  ZTA_RETURN_IF_ERROR(made->guest->agent->AddTool(book_room));
  return std::unique_ptr<GuestAssistant>(std::move(made));
}

void HotelSystem::Stop() {
  if (staff_) staff_->Stop();
  if (hotel_) hotel_->Stop();
  if (idp_) idp_->Stop();
}

Status WritePrivateFile(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status(StatusCode::kFailedPrecondition, "cannot create " + path);
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  return ok ? Status::Ok() : Status(StatusCode::kUnavailable, "cannot write " + path);
}

}  // namespace zta::hotel
