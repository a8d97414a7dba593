// Tests for the schema builder (strict-mode output) and the argument validator.
#include "zta/agent/schema.h"

#include <gtest/gtest.h>

namespace zta::agent {
namespace {

Schema BookingSchema() {
  return Schema::Object("A booking")
      .Property("hotel_id", Schema::String("Hotel").MinLength(1).MaxLength(20))
      .Property("guests", Schema::Integer().Minimum(1).Maximum(8))
      .Property("room", Schema::Enum({"single", "double"}))
      .Property("note", Schema::String().Nullable())
      .Property("nights",
                Schema::Array(Schema::String().Pattern("^\\d{4}-\\d{2}-\\d{2}$")).MinItems(1));
}

// The builder produces strict-mode JSON Schema: closed objects, every property required.
TEST(SchemaTest, BuilderProducesStrictSchema) {
  Json j = BookingSchema().json();
  EXPECT_EQ(j["type"], "object");
  EXPECT_EQ(j["additionalProperties"], false);
  EXPECT_EQ(j["required"], Json({"hotel_id", "guests", "room", "note", "nights"}));
  EXPECT_EQ(j["properties"]["note"]["type"], Json({"string", "null"}));
  EXPECT_EQ(j["properties"]["guests"]["minimum"], 1);
  EXPECT_TRUE(IsStrictSchema(j));
}

// A hand-written schema with an optional property is not strict; CloseObjects closes objects.
TEST(SchemaTest, StrictnessOfHandWrittenSchemas) {
  Json loose = {{"type", "object"},
                {"properties", {{"city", {{"type", "string"}}}, {"n", {{"type", "integer"}}}}},
                {"required", {"city"}}};
  EXPECT_FALSE(IsStrictSchema(loose));
  Json closed = CloseObjects(loose);
  EXPECT_EQ(closed["additionalProperties"], false);
  EXPECT_FALSE(IsStrictSchema(closed));  // "n" is still optional
  closed["required"] = {"city", "n"};
  EXPECT_TRUE(IsStrictSchema(closed));
}

// Well-formed arguments pass.
TEST(SchemaTest, AcceptsValidArguments) {
  Json args = {{"hotel_id", "h1"},
               {"guests", 2},
               {"room", "double"},
               {"note", nullptr},
               {"nights", {"2025-01-02"}}};
  EXPECT_TRUE(ValidateJson(BookingSchema().json(), args).ok());
  args["guests"] = 2.0;  // an integral number is an integer
  EXPECT_TRUE(ValidateJson(BookingSchema().json(), args).ok());
}

// Each kind of bad argument is refused with a path the model can act on.
TEST(SchemaTest, RefusesBadArgumentsWithPath) {
  const Json schema = BookingSchema().json();
  const Json good = {{"hotel_id", "h1"},
                     {"guests", 2},
                     {"room", "double"},
                     {"note", "x"},
                     {"nights", {"2025-01-02"}}};
  struct Case {
    const char* key;
    Json value;
    const char* message;
  };
  std::vector<Case> cases = {
      {"hotel_id", 5, "$.hotel_id: expected string"},
      {"hotel_id", "", "$.hotel_id: shorter than 1 characters"},
      {"hotel_id", std::string(21, 'x'), "$.hotel_id: longer than 20 characters"},
      {"guests", 2.5, "$.guests: expected integer"},
      {"guests", 0, "$.guests: less than 1"},
      {"guests", 9, "$.guests: more than 8"},
      {"room", "suite", "$.room: not one of the allowed values [\"single\",\"double\"]"},
      {"nights", Json::array(), "$.nights: fewer than 1 items"},
      {"nights", {"tomorrow"}, "$.nights[0]: does not match the pattern ^\\d{4}-\\d{2}-\\d{2}$"},
      {"extra", true, "$.extra: is not a known parameter"},
  };
  for (const Case& c : cases) {
    Json args = good;
    args[c.key] = c.value;
    Status s = ValidateJson(schema, args);
    EXPECT_EQ(s.message(), c.message) << c.key;
    EXPECT_EQ(s.reason(), "invalid_arguments");
  }
  Json missing = good;
  missing.erase("guests");
  EXPECT_EQ(ValidateJson(schema, missing).message(), "$.guests: is required");
  EXPECT_EQ(ValidateJson(schema, Json::array()).message(), "$: expected object");
}

}  // namespace
}  // namespace zta::agent
