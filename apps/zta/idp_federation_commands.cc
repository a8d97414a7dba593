// `zta idp federation add|list|remove`: the external issuers whose JWTs this idp accepts as
// token-exchange subject tokens and as agents' client assertions (docs/delegation.md,
// "Federation: trusted external issuers").
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "zta/core/clock.h"
#include "zta/idp/identity_provider.h"

namespace zta::cli {
namespace {

struct FederationFlags {
  idp::FederatedIssuerSpec spec;
  bool json = false;
};

int Fail(const Status& s) {
  std::cerr << "zta: " << s.message() << "\n";
  return ExitCodeFor(s);
}

// Runs `body` on the data folder's identity provider, its audit log opened first.
int WithIdp(const std::string& data_dir, const std::function<int(idp::IdentityProvider&)>& body) {
  Status audit_status;
  std::unique_ptr<AuditSink> audit = OpenDataFolderAuditSink(data_dir, &audit_status);
  if (!audit) return Fail(audit_status);
  auto idp = idp::IdentityProvider::Open(data_dir, idp::KeyManagerOptions{}, *audit,
                                         SystemClock::Instance());
  if (!idp.ok()) return Fail(AsConfigurationError(idp.status()));
  return body(**idp);
}

// One line per issuer: what it is trusted for and the audience its tokens must carry.
void PrintTable(const Json& issuers) {
  for (const auto& f : issuers) {
    std::string uses;
    if (f.value("allow_subject_token", false)) uses = "subject-token";
    if (f.value("allow_client_assertion", false)) {
      uses += uses.empty() ? "client-assertion" : ",client-assertion";
    }
    std::cout << f.value("issuer", "") << "  audience=" << f.value("audience", "")
              << "  allow=" << uses << "  subject=" << f.value("subject_claim", "") << "\n";
  }
}

void RegisterAdd(CLI::App* federation, std::shared_ptr<std::string> data_dir) {
  auto f = std::make_shared<FederationFlags>();
  CLI::App* add =
      federation->add_subcommand("add", "trust an external issuer's JWTs (add or replace)");
  add->add_option("ISSUER", f->spec.issuer, "exact iss: https URL (http on loopback only)")
      ->required();
  add->add_option("--jwks-uri", f->spec.jwks_uri,
                  "its key set (default: discovered from the issuer's metadata)");
  add->add_option("--audience", f->spec.audience,
                  "the aud its tokens must carry for this idp (required)");
  add->add_option("--subject-claim", f->spec.subject_claim,
                  "the claim naming the external subject: sub (default) or oid (Entra)");
  add->add_option("--map-claim", f->spec.map_claims,
                  "CLAIM=scope: a claim whose values are scopes, e.g. scp=scope, roles=scope "
                  "(repeatable; default scope=scope)");
  add->add_option("--typ", f->spec.allowed_typ, "required JOSE typ (default: at+jwt, JWT or none)");
  add->add_flag("--allow-subject-token", f->spec.allow_subject_token,
                "its tokens may be a token exchange's subject_token (RFC 8693)");
  add->add_flag("--allow-client-assertion", f->spec.allow_client_assertion,
                "its JWTs may authenticate agents registered with --federated-subject "
                "(RFC 7523 §2.2)");
  SetAction(add, [data_dir, f] {
    return WithIdp(*data_dir, [&](idp::IdentityProvider& idp) {
      auto out = idp.AddFederatedIssuer(f->spec);
      if (!out.ok()) return Fail(out.status());
      std::cout << DumpJson(*out, 2) << "\n";
      return kExitOk;
    });
  });
}

}  // namespace

void RegisterIdpFederationCommands(CLI::App* idp, std::shared_ptr<std::string> data_dir) {
  CLI::App* federation = idp->add_subcommand("federation", "trusted external issuers (federation)");
  federation->require_subcommand(1);
  RegisterAdd(federation, data_dir);

  auto f = std::make_shared<FederationFlags>();
  CLI::App* list = federation->add_subcommand("list", "list trusted external issuers");
  list->add_flag("--json", f->json, "print JSON instead of one line per issuer");
  SetAction(list, [data_dir, f] {
    return WithIdp(*data_dir, [&](idp::IdentityProvider& idp) {
      auto out = idp.ListFederatedIssuers();
      if (!out.ok()) return Fail(out.status());
      if (f->json) {
        std::cout << DumpJson(*out, 2) << "\n";
      } else {
        PrintTable(*out);
      }
      return kExitOk;
    });
  });

  CLI::App* remove = federation->add_subcommand(
      "remove", "stop trusting an issuer; its tokens and assertions are refused at once");
  remove->add_option("ISSUER", f->spec.issuer, "exact issuer as added")->required();
  SetAction(remove, [data_dir, f] {
    return WithIdp(*data_dir, [&](idp::IdentityProvider& idp) {
      if (Status s = idp.RemoveFederatedIssuer(f->spec.issuer); !s.ok()) return Fail(s);
      std::cout << "removed " << f->spec.issuer << "\n";
      return kExitOk;
    });
  });
}

}  // namespace zta::cli
