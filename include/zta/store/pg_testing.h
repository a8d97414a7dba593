// For tests only: a new, empty PostgreSQL database in the cluster ctest's `postgres` fixture
// started (scripts/pg-cluster.sh; zta_test(... POSTGRES) in CMakeLists.txt sets
// ZTA_TEST_PG_STATE to its state folder).
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

#include "zta/core/random.h"
#include "zta/store/postgres.h"

namespace zta::store {

// The URL of a fresh database, or "" with `*why` saying why there is none (the caller then
// skips with that reason). Each call creates its own database, so tests never share state.
inline std::string FreshPostgresDatabase(std::string* why) {
  const char* state = std::getenv("ZTA_TEST_PG_STATE");
  if (state == nullptr || *state == '\0') {
    *why = "no test PostgreSQL cluster: run through ctest (its postgres fixture) or set "
           "ZTA_TEST_PG_STATE to a folder of scripts/pg-cluster.sh start";
    return "";
  }
  std::ifstream in(std::string(state) + "/url");
  std::string admin_url;
  if (!std::getline(in, admin_url) || admin_url.empty()) {
    *why = std::string("the postgres fixture did not start a cluster (no ") + state + "/url)";
    return "";
  }
  auto admin = ConnectPostgres({.url = admin_url});
  if (!admin.ok()) {
    *why = admin.status().ToString();
    return "";
  }
  auto suffix = RandomBytes(6);
  if (!suffix.ok()) {
    *why = suffix.status().ToString();
    return "";
  }
  std::string name = "t_";
  for (unsigned char c : *suffix) {
    name += "0123456789abcdef"[c >> 4];
    name += "0123456789abcdef"[c & 15];
  }
  Status created = (*admin)->Exec("CREATE DATABASE " + name);
  if (!created.ok()) {
    *why = created.ToString();
    return "";
  }
  const size_t at = admin_url.find("/zta?");
  return admin_url.substr(0, at) + "/" + name + admin_url.substr(at + 4);
}

}  // namespace zta::store
