// The streaming multipart parser: every split of the input into two and into many pieces
// gives the same parts (boundary search across piece edges), and it holds back no more than
// the boundary between pieces.
#include "services/gateway/transcode/multipart.h"

#include <random>

#include "gtest/gtest.h"

namespace stellenwerk::gateway {
namespace {

struct Collect : MultipartHandler {
  std::vector<PartHeaders> headers;
  std::vector<std::string> data;
  int ended = 0;
  absl::Status OnPartBegin(const PartHeaders& h) override {
    headers.push_back(h);
    data.emplace_back();
    return absl::OkStatus();
  }
  absl::Status OnPartData(absl::string_view d) override {
    data.back().append(d.data(), d.size());
    return absl::OkStatus();
  }
  absl::Status OnPartEnd() override {
    ++ended;
    return absl::OkStatus();
  }
};

const std::string kBoundary = "----stw7MA4YWxkTrZu0gW";

std::string Body(const std::string& file) {
  return "preamble\r\n--" + kBoundary +
         "\r\nContent-Disposition: form-data; name=\"application\"\r\n"
         "Content-Type: application/json\r\n\r\n{\"postingId\":\"x\"}\r\n--" +
         kBoundary +
         "\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\n"
         "Content-Type: application/pdf\r\n\r\n" +
         file + "\r\n--" + kBoundary + "--\r\nepilogue";
}

// File content with near-boundaries in it: CRLF, "--", a prefix of the boundary.
std::string NastyFile() {
  std::string f = "%PDF-1.4\r\n--\r\n--" + kBoundary.substr(0, 10) + "\r\n\r\n-";
  for (int i = 0; i < 300; ++i) f.push_back(static_cast<char>(i % 256));
  return f + "\r\n--" + kBoundary.substr(0, kBoundary.size() - 1) + "X";
}

void Check(const Collect& c, const std::string& file) {
  ASSERT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.headers[0].name, "application");
  EXPECT_EQ(c.data[0], "{\"postingId\":\"x\"}");
  EXPECT_EQ(c.headers[1].name, "cv");
  EXPECT_EQ(c.headers[1].filename, "cv.pdf");
  EXPECT_EQ(c.headers[1].content_type, "application/pdf");
  EXPECT_EQ(c.data[1], file);
  EXPECT_EQ(c.ended, 2);
}

TEST(MultipartTest, EverySplitInTwoGivesTheSameParts) {
  std::string file = NastyFile();
  std::string body = Body(file);
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    MultipartParser p(kBoundary);
    Collect c;
    ASSERT_TRUE(p.Feed(body.substr(0, cut), c).ok()) << cut;
    ASSERT_TRUE(p.Feed(body.substr(cut), c).ok()) << cut;
    ASSERT_TRUE(p.done()) << cut;
    Check(c, file);
  }
}

TEST(MultipartTest, RandomPiecesGiveTheSamePartsAndHoldBackLittle) {
  std::string file = NastyFile();
  std::string body = Body(file);
  std::mt19937 rng(42);
  for (int round = 0; round < 500; ++round) {
    MultipartParser p(kBoundary);
    Collect c;
    size_t at = 0;
    while (at < body.size()) {
      size_t n = std::uniform_int_distribution<size_t>(1, 40)(rng);
      ASSERT_TRUE(p.Feed(body.substr(at, n), c).ok());
      at += n;
      // Held back: at most a boundary's worth (or a part header not yet complete).
      EXPECT_LE(p.buffered(), 200u);
    }
    ASSERT_TRUE(p.done());
    Check(c, file);
  }
}

TEST(MultipartTest, MalformedFramingIsRefused) {
  Collect c;
  MultipartParser p(kBoundary);
  EXPECT_FALSE(p.Feed("--" + kBoundary + "XX\r\n", c).ok());
  MultipartParser q(kBoundary, 64);
  EXPECT_FALSE(q.Feed("--" + kBoundary + "\r\n" + std::string(200, 'a'), c).ok());
  MultipartParser r(kBoundary);
  Collect d;
  // Cut off mid-file: not done.
  ASSERT_TRUE(r.Feed(Body("abc").substr(0, 150), d).ok());
  EXPECT_FALSE(r.done());
}

TEST(MultipartTest, BoundaryOfContentType) {
  EXPECT_EQ(MultipartParser::BoundaryOf("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(MultipartParser::BoundaryOf("Multipart/Form-Data; boundary=\"a b\""), "a b");
  EXPECT_FALSE(MultipartParser::BoundaryOf("application/json").has_value());
  EXPECT_FALSE(MultipartParser::BoundaryOf("multipart/form-data").has_value());
  EXPECT_FALSE(
      MultipartParser::BoundaryOf("multipart/form-data; boundary=" + std::string(71, 'x')));
}

}  // namespace
}  // namespace stellenwerk::gateway
