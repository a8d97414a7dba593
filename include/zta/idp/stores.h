// What the identity provider persists, split by concern so that each kind of state has one
// obvious home and one interface to implement per backend:
//   RegistryStore    who exists: resources and agents (users and apps follow);
//   TokenStateStore  what was issued or consumed: revocations, single-use assertion ids (codes,
//                    grants and refresh-token families follow);
//   KeyStore         signing-key metadata rows (the private keys live in files, KeyManager).
// Implementations are thread-safe. SqliteIdpStore implements all three on one file; IdpStore
// names that combination for the code that opens one data folder.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "zta/core/status.h"
#include "zta/idp/registry.h"

namespace zta::idp {

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // A counter that changes whenever any process changes the registry (cheap to poll).
  virtual Result<uint64_t> RegistryVersion() = 0;
  virtual Result<std::shared_ptr<const RegistrySnapshot>> LoadRegistry() = 0;

  virtual Status PutResource(const Resource& resource) = 0;
  virtual Status PutAgent(const Agent& agent) = 0;  // insert or replace
  virtual Status DeleteAgent(const std::string& client_id) = 0;
};

class TokenStateStore {
 public:
  virtual ~TokenStateStore() = default;

  // Revocation list: jti → the token's exp (rows can be dropped after it).
  virtual Status Revoke(const std::string& jti, int64_t expires_at) = 0;
  virtual Result<bool> IsRevoked(const std::string& jti) = 0;

  // RFC 7523 §3 item 7: records an assertion jti; false if it was seen before (replay).
  virtual Result<bool> RecordAssertionJti(const std::string& client_id, const std::string& jti,
                                          int64_t expires_at) = 0;
};

// Key metadata: when each signing key was made, signs, and stops being published.
struct KeyRow {
  std::string kid;
  std::string alg;
  int64_t created_at = 0;
  int64_t activate_at = 0;    // begins signing at this time
  int64_t publish_until = 0;  // 0 = while active or next; else stays in JWKS until then
  bool retired = false;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  virtual Result<std::vector<KeyRow>> ListKeys() = 0;
  virtual Status PutKey(const KeyRow& row) = 0;
};

// All of one identity provider's state, as one data folder holds it.
class IdpStore : public RegistryStore, public TokenStateStore, public KeyStore {};

}  // namespace zta::idp
