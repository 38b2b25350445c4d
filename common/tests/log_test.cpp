#include "common/logging/log.h"

#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"

namespace stellenwerk::logging {
namespace {

using namespace std::string_literals;  // "\0"s keeps the NUL

constexpr std::string_view kFffd = "\xef\xbf\xbd";

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonEscaped(text, out);
  return out;
}

// The escaped text as a JSON string, parsed back (throws on invalid JSON or invalid UTF-8).
std::string RoundTrip(std::string_view text) {
  return nlohmann::json::parse("\"" + Escaped(text) + "\"").get<std::string>();
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(JsonEscapeTest, KeepsValidUtf8AsItIs) {
  const std::string text = "Bewerbung für Straßenbau 😀 — 東京 \xc2\xa0";
  EXPECT_EQ(Escaped(text), text);
  EXPECT_EQ(RoundTrip(text), text);
  // The edges of the valid ranges.
  const std::string edges =
      "\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 "
      "\xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf";
  EXPECT_EQ(Escaped(edges), edges);
}

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndEveryControlCharacter) {
  EXPECT_EQ(Escaped("a\"b\\c\nd\re\tf"), "a\\\"b\\\\c\\nd\\re\\tf");
  EXPECT_EQ(Escaped("\0"s), "\\u0000");
  EXPECT_EQ(Escaped("\x1b[31m"), "\\u001b[31m");
  EXPECT_EQ(Escaped("\x7f"), "\\u007f");
  std::string all;
  for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
  EXPECT_EQ(RoundTrip(all), all);
}

TEST(JsonEscapeTest, ReplacesInvalidBytesWithUfffd) {
  const struct {
    std::string_view what;
    std::string input;
    std::string expected;
  } kCases[] = {
      {"lone continuation byte", "a\x80z", "a" + std::string(kFffd) + "z"},
      {"C0/C1 leads are always overlong", "\xc0\xaf", Repeat(kFffd, 2)},
      {"overlong 3-byte '/'", "\xe0\x80\xaf", Repeat(kFffd, 3)},
      {"overlong 4-byte", "\xf0\x80\x80\xaf", Repeat(kFffd, 4)},
      {"overlong NUL", "\xc0\x80", Repeat(kFffd, 2)},
      {"UTF-16 surrogate D800", "\xed\xa0\x80", Repeat(kFffd, 3)},
      {"above U+10FFFF", "\xf4\x90\x80\x80", Repeat(kFffd, 4)},
      {"F5..FF never appear", "\xf5\xfe\xff", Repeat(kFffd, 3)},
      {"truncated 2-byte at the end", "ok\xc3", "ok" + std::string(kFffd)},
      {"truncated 3-byte at the end", "ok\xe2\x82", "ok" + std::string(kFffd)},
      {"truncated 4-byte at the end", "ok\xf0\x9f\x98", "ok" + std::string(kFffd)},
      {"truncated 3-byte before ASCII", "\xe2\x82z", std::string(kFffd) + "z"},
      {"truncated before a quote", "\xe2\"", std::string(kFffd) + "\\\""},
      {"truncated before a valid sequence", "\xf0\x9f\xc3\xa4", std::string(kFffd) + "\xc3\xa4"},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(Escaped(c.input), c.expected) << c.what;
  }
}

TEST(JsonEscapeTest, AnyByteStringParsesAsJson) {
  // Every single byte, every pair of bytes: whatever comes in, the output is valid JSON.
  for (int a = 0; a < 256; ++a) {
    std::string one(1, static_cast<char>(a));
    ASSERT_NO_THROW(RoundTrip(one)) << a;
    for (int b = 0; b < 256; ++b) {
      const std::string two = one + static_cast<char>(b);
      ASSERT_NO_THROW(RoundTrip(two)) << a << " " << b;
      ASSERT_NO_THROW(RoundTrip(two + "\xe2\x82")) << a << " " << b;
    }
  }
}

TEST(JsonFormatterTest, EveryLineIsOneJsonObjectEvenWithBrokenInput) {
  std::ostringstream stream;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream);
  spdlog::logger logger("log-test", sink);
  logger.set_formatter(NewJsonFormatter("svc\xff"));
  {
    ScopedLogContext context("corr\xc0\xaf", "tenant\"\n", "event\xed\xa0\x80");
    logger.info("upload {} failed", "CV_M\xfcller.pdf\x01\xe2\x82");
  }
  logger.info("plain");
  const std::string out = stream.str();
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    ASSERT_NO_THROW(lines.push_back(nlohmann::json::parse(line))) << line;
  }
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(lines[0]["service"], "svc" + std::string(kFffd));
  EXPECT_EQ(lines[0]["correlation_id"], "corr" + Repeat(kFffd, 2));
  EXPECT_EQ(lines[0]["tenant"], "tenant\"\n");
  EXPECT_EQ(lines[0]["event_id"], "event" + Repeat(kFffd, 3));
  EXPECT_EQ(lines[0]["msg"],
            "upload CV_M" + std::string(kFffd) + "ller.pdf\x01" + std::string(kFffd) + " failed");
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[1]["msg"], "plain");
  EXPECT_FALSE(lines[1].contains("tenant"));
}

}  // namespace
}  // namespace stellenwerk::logging
