// Typed, strict reading of TOML tables (toml++) for zta's configuration files: every key read
// is checked for its type, and a key nobody asked about is an error, so a typo in a security
// setting never falls back to a default silently. Header-only; callers include toml++ anyway.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "zta/core/status.h"

namespace zta {

// Reads typed keys from one table and refuses keys it was not asked about (a typo in a
// security setting must not silently fall back to a default).
class TableReader {
 public:
  TableReader(const toml::table& table, std::string where)
      : table_(table), where_(std::move(where)) {}

  template <typename T>
  Status Get(const char* key, T* out) {
    seen_.emplace_back(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return Status::Ok();
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value<std::string>()) {
        *out = *v;
        return Status::Ok();
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value<bool>()) {
        *out = *v;
        return Status::Ok();
      }
    } else {
      if (auto v = node->value<int64_t>()) {
        *out = static_cast<T>(*v);
        return Status::Ok();
      }
    }
    return InvalidArgument(where_ + key + " has the wrong type");
  }

  Status GetList(const char* key, std::vector<std::string>* out) {
    seen_.emplace_back(key);
    const toml::node* node = table_.get(key);
    if (node == nullptr) return Status::Ok();
    const toml::array* array = node->as_array();
    if (array == nullptr) return InvalidArgument(where_ + key + " must be an array of strings");
    out->clear();
    for (const auto& item : *array) {
      auto v = item.value<std::string>();
      if (!v) return InvalidArgument(where_ + key + " must be an array of strings");
      out->push_back(*v);
    }
    return Status::Ok();
  }

  // Exact-typed getters: an absent key leaves `out` as it is; a value of another TOML type is
  // InvalidArgument "<where><key> must be a string" (an integer, true or false, a number, an
  // array of strings). GetNumber takes integers too; the others take only their own type.
  Status GetString(const char* key, std::string* out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return Status::Ok();
    auto v = node->value_exact<std::string>();
    if (!v) return InvalidArgument(where_ + key + " must be a string");
    *out = *std::move(v);
    return Status::Ok();
  }
  Status GetInt(const char* key, int64_t* out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return Status::Ok();
    auto v = node->value_exact<int64_t>();
    if (!v) return InvalidArgument(where_ + key + " must be an integer");
    *out = *v;
    return Status::Ok();
  }
  Status GetBool(const char* key, bool* out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return Status::Ok();
    auto v = node->value_exact<bool>();
    if (!v) return InvalidArgument(where_ + key + " must be true or false");
    *out = *v;
    return Status::Ok();
  }
  Status GetNumber(const char* key, std::optional<double>* out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return Status::Ok();
    if (!node->is_number()) return InvalidArgument(where_ + key + " must be a number");
    *out = node->value<double>();
    return Status::Ok();
  }
  // Replaces `out` with the array's strings.
  Status GetStrings(const char* key, std::vector<std::string>* out) {
    const toml::node* node = Find(key);
    if (node == nullptr) return Status::Ok();
    const toml::array* array = node->as_array();
    if (array == nullptr) return InvalidArgument(where_ + key + " must be an array of strings");
    std::vector<std::string> items;
    for (const auto& item : *array) {
      auto v = item.value_exact<std::string>();
      if (!v) return InvalidArgument(where_ + key + " must be an array of strings");
      items.push_back(*std::move(v));
    }
    *out = std::move(items);
    return Status::Ok();
  }
  // The sub-table at `key`, nullptr when absent; InvalidArgument "<where><key> must be a table"
  // for another type.
  Result<const toml::table*> GetTable(const char* key) {
    const toml::node* node = Find(key);
    if (node == nullptr) return static_cast<const toml::table*>(nullptr);
    const toml::table* table = node->as_table();
    if (table == nullptr) return InvalidArgument(where_ + key + " must be a table");
    return table;
  }

  // Marks a key handled elsewhere (a sub-table or array of tables).
  void Skip(const char* key) { seen_.emplace_back(key); }

  Status Finish() const {
    for (const auto& [key, value] : table_) {
      if (std::find(seen_.begin(), seen_.end(), key.str()) == seen_.end()) {
        return InvalidArgument(where_ + std::string(key.str()) + " is not a known setting");
      }
    }
    return Status::Ok();
  }

 private:
  const toml::node* Find(const char* key) {
    seen_.emplace_back(key);
    return table_.get(key);
  }

  const toml::table& table_;
  std::string where_;
  std::vector<std::string> seen_;
};

// Parses TOML `text` and hands the root table to `read` (const toml::table& → Status). A
// syntax error comes back as InvalidArgument "TOML line L, column C: what"; no toml++
// exception leaves this function, whatever `read` does.
template <typename Read>
Status ParseToml(std::string_view text, Read&& read) {
  try {
    toml::table root = toml::parse(text);
    return read(static_cast<const toml::table&>(root));
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << e.source().begin;
    return InvalidArgument("TOML " + where.str() + ": " + std::string(e.description()));
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("TOML: ") + e.what());
  }
}

// The whole file at `path` (a configuration, secret or key file named in one);
// InvalidArgument "cannot read PATH" if it cannot be opened.
inline Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace zta
