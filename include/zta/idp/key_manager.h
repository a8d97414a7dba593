// The identity provider's signing keys: creation, rotation with an overlap (the next key is in
// JWKS before it signs), retirement once every token it signed has expired, and storage of the
// private halves as 0600 files, optionally encrypted (AES-256-GCM) with a key from the
// environment.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zta/core/mutex.h"
#include "zta/core/clock.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/idp/stores.h"
#include "zta/jose/jwk.h"

namespace zta::idp {

struct KeyManagerOptions {
  // Folder for private key files (<kid>.json, mode 0600). REQUIRED unless keys_in_store.
  std::string keys_dir;
  // Keep the private keys in the KeyStore (PutKeyMaterial), sealed with encryption_key, which
  // is then REQUIRED: a store that several idp nodes share, so they all sign with the same
  // schedule and publish the same JWKS. Default: false (files in keys_dir).
  bool keys_in_store = false;
  // Algorithm of new keys. Default: ES256.
  jose::Algorithm alg = jose::Algorithm::kES256;
  // Seconds a new key is published in JWKS before it signs (so every cache learns it first).
  // Default: 60.
  int64_t rotation_overlap_seconds = 60;
  // Longest lifetime of any token the server issues; a retired key stays published this long
  // after its last signature. Default: 3600.
  int64_t max_token_lifetime_seconds = 3600;
  // When set, private key files are encrypted with AES-256-GCM under SHA-256(this secret).
  // Default: unset (files rely on mode 0600). Set from ZTA_IDP_KEY_ENCRYPTION_KEY.
  std::optional<Secret> encryption_key;
};

// Thread-safe.
class KeyManager {
 public:
  // Loads the keys recorded in `store`; creates the first key when there is none.
  static Result<std::unique_ptr<KeyManager>> Open(KeyStore& store, KeyManagerOptions options,
                                                  const Clock& clock);

  // The key that signs at `now`, with its algorithm.
  struct SigningKey {
    jose::Jwk key;
    jose::Algorithm alg;
  };
  Result<SigningKey> CurrentSigningKey() const;

  // Keys to publish at `now`: the next key, the active key, and retired keys still covering
  // unexpired tokens. Public halves only.
  std::shared_ptr<const jose::Jwks> PublishedKeys() const;

  // Starts a rotation: a new key that signs after rotation_overlap_seconds; the current key is
  // then kept in JWKS for max_token_lifetime_seconds more.
  Result<KeyRow> Rotate();

  // Re-reads key rows and files (another process rotated).
  Status Reload();

  std::vector<KeyRow> List() const;

 private:
  KeyManager(KeyStore& store, KeyManagerOptions options, const Clock& clock);
  Status LoadLocked() ZTA_REQUIRES(mu_);
  Result<std::string> ReadPrivateKeyText(const std::string& kid) const;
  Result<jose::Jwk> ReadPrivateKey(const std::string& kid) const;
  Status WritePrivateKey(const jose::Jwk& key) const;
  Result<KeyRow> CreateKeyLocked(int64_t activate_at) ZTA_REQUIRES(mu_);

  KeyStore& store_;
  const KeyManagerOptions options_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::vector<KeyRow> rows_ ZTA_GUARDED_BY(mu_);
  std::map<std::string, jose::Jwk> private_keys_ ZTA_GUARDED_BY(mu_);  // by kid
  // The last published set and the kids it holds (PublishedKeys rebuilds it on change).
  mutable std::shared_ptr<const jose::Jwks> published_ ZTA_GUARDED_BY(mu_);
  mutable std::string published_kids_ ZTA_GUARDED_BY(mu_);
};

}  // namespace zta::idp
