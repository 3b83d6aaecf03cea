#include "llm/sse.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using llm::SseEvent;
using llm::SseParser;

struct Collected {
  std::vector<SseEvent> events;
  SseParser::Handler handler() {
    return [this](const SseEvent& e) { events.push_back(e); };
  }
};

std::vector<SseEvent> parse_whole(std::string_view text, bool finish = true) {
  Collected c;
  SseParser p;
  p.feed(text, c.handler());
  if (finish) p.finish(c.handler());
  return c.events;
}

std::vector<SseEvent> parse_byte_by_byte(std::string_view text, bool finish = true) {
  Collected c;
  SseParser p;
  for (char ch : text)
    p.feed(std::string_view(&ch, 1), c.handler());
  if (finish) p.finish(c.handler());
  return c.events;
}

TEST(SseParser, SingleEvent) {
  auto events = parse_whole("data: {\"a\":1}\n\n", false);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[0].event, "");
}

TEST(SseParser, NothingIsDeliveredBeforeTheBlankLine) {
  Collected c;
  SseParser p;
  p.feed("data: one\n", c.handler());
  EXPECT_TRUE(c.events.empty());
  p.feed("\n", c.handler());
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].data, "one");
}

TEST(SseParser, EventsSplitAcrossEveryByteBoundary) {
  const std::string text =
      "event: message_start\ndata: {\"x\": 1}\n\n"
      ": keep-alive\n\n"
      "data: line one\ndata: line two\n\n"
      "event: ping\ndata: {}\r\n\r\n"
      "data: [DONE]\n\n";
  auto whole = parse_whole(text);
  auto bytes = parse_byte_by_byte(text);
  ASSERT_EQ(whole.size(), 4u);
  ASSERT_EQ(bytes.size(), whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(bytes[i].event, whole[i].event) << i;
    EXPECT_EQ(bytes[i].data, whole[i].data) << i;
  }
  EXPECT_EQ(bytes[0].event, "message_start");
  EXPECT_EQ(bytes[0].data, "{\"x\": 1}");
  EXPECT_EQ(bytes[1].data, "line one\nline two");
  EXPECT_EQ(bytes[2].event, "ping");
  EXPECT_EQ(bytes[2].data, "{}");
  EXPECT_EQ(bytes[3].data, "[DONE]");
}

TEST(SseParser, EverySplitPointGivesTheSameEvents) {
  const std::string text = "event: a\r\ndata: 1\r\n\r\ndata: 2\r\ndata: 3\r\n\r\n";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    Collected c;
    SseParser p;
    p.feed(std::string_view(text).substr(0, cut), c.handler());
    p.feed(std::string_view(text).substr(cut), c.handler());
    ASSERT_EQ(c.events.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(c.events[0].event, "a") << "cut at " << cut;
    EXPECT_EQ(c.events[0].data, "1") << "cut at " << cut;
    EXPECT_EQ(c.events[1].data, "2\n3") << "cut at " << cut;
  }
}

TEST(SseParser, CrLfLineEnds) {
  auto events = parse_whole("data: a\r\n\r\ndata: b\r\n\r\n", false);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[1].data, "b");
}

TEST(SseParser, CrOnlyLineEnds) {
  auto events = parse_byte_by_byte("data: a\r\rdata: b\rdata: c\r\r", false);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[1].data, "b\nc");
}

TEST(SseParser, CrAtChunkEndFollowedByLfInNextChunk) {
  Collected c;
  SseParser p;
  p.feed("data: x\r", c.handler());
  p.feed("\n\r", c.handler());
  p.feed("\n", c.handler());
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].data, "x");
}

TEST(SseParser, MultiLineDataIsJoinedWithNewlines) {
  auto events = parse_whole("data: first\ndata:second\ndata:  third\n\n", false);
  ASSERT_EQ(events.size(), 1u);
  // Only one space after the colon is dropped.
  EXPECT_EQ(events[0].data, "first\nsecond\n third");
}

TEST(SseParser, CommentsAreIgnored) {
  auto events = parse_whole(": OPENROUTER PROCESSING\n\n:comment\ndata: x\n: inside\n\n", false);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
}

TEST(SseParser, EventNamesAreCarriedAndReset) {
  auto events = parse_whole(
      "event: content_block_delta\ndata: 1\n\ndata: 2\n\nevent: error\ndata: 3\n\n", false);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event, "content_block_delta");
  EXPECT_EQ(events[1].event, "");
  EXPECT_EQ(events[2].event, "error");
  EXPECT_EQ(events[2].data, "3");
}

TEST(SseParser, FieldWithoutValueAndUnknownFields) {
  auto events = parse_whole("id: 7\nretry: 1000\ndata\n\nfoo: bar\ndata: y\n\n", false);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[1].data, "y");
}

TEST(SseParser, BlankLinesWithoutFieldsDeliverNothing) {
  auto events = parse_whole("\n\n\r\n: ping\n\n", true);
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, FinishFlushesAFinalEventWithoutTrailingNewline) {
  Collected c;
  SseParser p;
  p.feed("data: first\n\ndata: last", c.handler());
  ASSERT_EQ(c.events.size(), 1u);
  p.finish(c.handler());
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[1].data, "last");
}

TEST(SseParser, FinishFlushesAFinalEventWithoutBlankLine) {
  Collected c;
  SseParser p;
  p.feed("event: message_stop\ndata: {\"type\":\"message_stop\"}\n", c.handler());
  EXPECT_TRUE(c.events.empty());
  p.finish(c.handler());
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0].event, "message_stop");
  EXPECT_EQ(c.events[0].data, "{\"type\":\"message_stop\"}");
}

TEST(SseParser, FinishAfterCompleteEventsDeliversNothingMore) {
  Collected c;
  SseParser p;
  p.feed("data: a\n\n", c.handler());
  p.finish(c.handler());
  EXPECT_EQ(c.events.size(), 1u);
}

}  // namespace
