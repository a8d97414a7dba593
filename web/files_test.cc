// The build embeds every file under web/ byte for byte, with its content type, and nothing
// else (no build files, no headers).
#include "zta/web/files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace zta::web {
namespace {

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(ZTA_WEB_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// idp/style.css is embedded with its exact bytes and the CSS type.
TEST(WebFilesTest, EmbedsFilesByteForByte) {
  http::StaticFiles files(Files(), "/static/");
  const http::EmbeddedFile* css = files.Find("idp/style.css");
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(css->bytes, ReadSource("idp/style.css"));
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
}

// The build's own files are not served.
TEST(WebFilesTest, LeavesBuildFilesOut) {
  for (const auto& f : Files()) {
    EXPECT_FALSE(f.path.ends_with("CMakeLists.txt")) << f.path;
    EXPECT_FALSE(f.path.ends_with(".cmake")) << f.path;
    EXPECT_FALSE(f.path.starts_with("include/")) << f.path;
    EXPECT_FALSE(f.path.ends_with("_test.cc")) << f.path;
  }
}

}  // namespace
}  // namespace zta::web
