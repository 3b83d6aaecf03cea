#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include "literature/auto_source.h"
#include "literature/cached_source.h"
#include "literature/local_index.h"
#include "support/fake_clock.h"
#include "support/temp_dir.h"

namespace {

using core::ErrorCode;
using core::Paper;
using literature::AutoOptions;
using literature::AutoSource;
using literature::CachedSource;
using literature::CacheOptions;

Paper paper(std::string title) {
  Paper p;
  p.title = std::move(title);
  return p;
}

// A source that answers from a script (then repeats `fallback`) and counts its calls.
class FakeSource : public core::LiteratureSource {
 public:
  explicit FakeSource(std::string name) : m_name(std::move(name)) {}

  core::Result<std::vector<Paper>> search(const std::string& query, int limit) override {
    std::lock_guard lock(m_mutex);
    ++m_calls;
    m_queries.push_back(query);
    m_limits.push_back(limit);
    if (!m_script.empty()) {
      auto next = std::move(m_script.front());
      m_script.pop_front();
      return next;
    }
    return fallback;
  }
  std::string name() const override { return m_name; }

  void then(core::Result<std::vector<Paper>> r) {
    std::lock_guard lock(m_mutex);
    m_script.push_back(std::move(r));
  }
  int calls() const {
    std::lock_guard lock(m_mutex);
    return m_calls;
  }

  core::Result<std::vector<Paper>> fallback = std::vector<Paper>{};

 private:
  std::string m_name;
  mutable std::mutex m_mutex;
  std::deque<core::Result<std::vector<Paper>>> m_script;
  int m_calls = 0;
  std::vector<std::string> m_queries;
  std::vector<int> m_limits;
};

core::Result<std::vector<Paper>> papers(std::initializer_list<const char*> titles) {
  std::vector<Paper> out;
  for (const char* t : titles)
    out.push_back(paper(t));
  return out;
}

core::Result<std::vector<Paper>> failure(ErrorCode code, std::string message) {
  return std::unexpected(core::Error(code, std::move(message)));
}

// ---- JSON ----

TEST(PaperJson, RoundTripsEveryField) {
  Paper p;
  p.title = "Attention Is All You Need";
  p.authors = {"Ashish Vaswani", "Noam Shazeer"};
  p.venue = "NeurIPS";
  p.year = 2017;
  p.abstract = "The dominant sequence transduction models... \"quoted\" \xC3\xA9";
  p.citation_count = 123456789012LL;
  p.doi = "10.5555/3295222.3295349";
  p.arxiv_id = "1706.03762";
  p.s2_id = "204e3073870fae3d05bcbc2f6a8e263d9b72e776";
  p.openalex_id = "W2963403868";
  p.url = "https://arxiv.org/abs/1706.03762";
  p.bibtex = "@inproceedings{vaswani2017,\n  title={Attention}\n}";
  p.source = "s2";

  const std::string text = literature::paper_to_json(p).dump();
  auto back = literature::paper_from_json(nlohmann::json::parse(text));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->title, p.title);
  EXPECT_EQ(back->authors, p.authors);
  EXPECT_EQ(back->venue, p.venue);
  EXPECT_EQ(back->year, p.year);
  EXPECT_EQ(back->abstract, p.abstract);
  EXPECT_EQ(back->citation_count, p.citation_count);
  EXPECT_EQ(back->doi, p.doi);
  EXPECT_EQ(back->arxiv_id, p.arxiv_id);
  EXPECT_EQ(back->s2_id, p.s2_id);
  EXPECT_EQ(back->openalex_id, p.openalex_id);
  EXPECT_EQ(back->url, p.url);
  EXPECT_EQ(back->bibtex, p.bibtex);
  EXPECT_EQ(back->source, p.source);
}

TEST(PaperJson, EmptyNumbersStayEmptyAndBadTypesFail) {
  auto back = literature::paper_from_json(literature::paper_to_json(paper("T")));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->year);
  EXPECT_FALSE(back->citation_count);
  EXPECT_TRUE(back->authors.empty());

  auto bad = literature::paper_from_json(nlohmann::json{{"title", 5}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::parse);
  EXPECT_FALSE(literature::paper_from_json(nlohmann::json::array()));
  EXPECT_FALSE(literature::paper_from_json(nlohmann::json{{"year", "2017"}}));
}

TEST(CacheQuery, Normalises) {
  EXPECT_EQ(literature::normalize_cache_query("  Deep \t Learning  "), "deep learning");
  EXPECT_EQ(literature::normalize_cache_query(""), "");
}

// ---- CachedSource ----

struct CacheFixture : ::testing::Test {
  std::int64_t now = 1'700'000'000;
  std::shared_ptr<FakeSource> inner = std::make_shared<FakeSource>("s2");
  test_support::TempDir dir;

  std::unique_ptr<CachedSource> open(CacheOptions options = {}) {
    options.now_seconds = [this] { return now; };
    auto cached = CachedSource::open(inner, dir.path() / "lit.sqlite", std::move(options));
    EXPECT_TRUE(cached) << cached.error().describe();
    return std::move(*cached);
  }
};

TEST_F(CacheFixture, HitAvoidsTheCall) {
  inner->fallback = papers({"A", "B"});
  auto cached = open();
  auto first = cached->search("Deep Learning", 5);
  ASSERT_TRUE(first);
  auto second = cached->search("  deep   learning ", 5);
  ASSERT_TRUE(second);
  EXPECT_EQ(inner->calls(), 1);
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[1].title, "B");
  EXPECT_EQ(cached->hits(), 1);
  EXPECT_EQ(cached->misses(), 1);
  EXPECT_EQ(cached->name(), "s2");
}

TEST_F(CacheFixture, SurvivesReopening) {
  inner->fallback = papers({"A"});
  ASSERT_TRUE(open()->search("q", 5));
  auto again = open();  // a resumed run: new object, same file
  ASSERT_TRUE(again->search("q", 5));
  EXPECT_EQ(inner->calls(), 1);
}

TEST_F(CacheFixture, ExpiredEntryRefetches) {
  CacheOptions options;
  options.max_age = std::chrono::hours(1);
  auto cached = open(options);
  inner->then(papers({"old"}));
  inner->then(papers({"new"}));
  ASSERT_TRUE(cached->search("q", 5));
  now += 3600;  // exactly at the limit: still fresh
  ASSERT_TRUE(cached->search("q", 5));
  EXPECT_EQ(inner->calls(), 1);
  now += 1;
  auto fresh = cached->search("q", 5);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(inner->calls(), 2);
  ASSERT_EQ(fresh->size(), 1u);
  EXPECT_EQ((*fresh)[0].title, "new");
  // The refetched answer replaced the stale one.
  auto served = cached->search("q", 5);
  ASSERT_TRUE(served);
  EXPECT_EQ((*served)[0].title, "new");
  EXPECT_EQ(inner->calls(), 2);
}

TEST_F(CacheFixture, DifferentLimitOrQueryMisses) {
  inner->fallback = papers({"A"});
  auto cached = open();
  ASSERT_TRUE(cached->search("q", 5));
  ASSERT_TRUE(cached->search("q", 10));
  ASSERT_TRUE(cached->search("other", 5));
  EXPECT_EQ(inner->calls(), 3);
  ASSERT_TRUE(cached->search("q", 10));
  EXPECT_EQ(inner->calls(), 3);
}

TEST_F(CacheFixture, DifferentSourceNameMisses) {
  inner->fallback = papers({"A"});
  ASSERT_TRUE(open()->search("q", 5));
  auto other = std::make_shared<FakeSource>("openalex");
  other->fallback = papers({"B"});
  CacheOptions options;
  options.now_seconds = [this] { return now; };
  auto cached = CachedSource::open(other, dir.path() / "lit.sqlite", options);
  ASSERT_TRUE(cached);
  auto got = (*cached)->search("q", 5);
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].title, "B");
  EXPECT_EQ(other->calls(), 1);
}

TEST_F(CacheFixture, FailuresAreNotCachedButEmptyAnswersAre) {
  auto cached = open();
  inner->then(failure(ErrorCode::rate_limited, "429"));
  auto failed = cached->search("q", 5);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::rate_limited);
  ASSERT_TRUE(cached->search("q", 5));  // asks again: the failure was not cached
  EXPECT_EQ(inner->calls(), 2);
  ASSERT_TRUE(cached->search("q", 5));  // the empty answer was
  EXPECT_EQ(inner->calls(), 2);
}

TEST_F(CacheFixture, CachedPapersKeepEveryField) {
  Paper p = paper("Full");
  p.authors = {"A B", "C D"};
  p.year = 2020;
  p.citation_count = 7;
  p.doi = "10.1/x";
  p.bibtex = "@article{x}";
  p.source = "s2";
  inner->fallback = std::vector<Paper>{p};
  auto cached = open();
  ASSERT_TRUE(cached->search("q", 5));
  auto got = cached->search("q", 5);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(literature::paper_to_json((*got)[0]), literature::paper_to_json(p));
}

TEST_F(CacheFixture, NetworkPapersAreAddedToTheLocalIndex) {
  auto index = literature::LocalIndex::open(":memory:");
  ASSERT_TRUE(index);
  std::shared_ptr<literature::LocalIndex> shared = std::move(*index);
  Paper p = paper("Convolutional networks for images");
  p.doi = "10.1/cnn";
  inner->fallback = std::vector<Paper>{p};
  CacheOptions options;
  options.index = shared;
  auto cached = open(options);
  ASSERT_TRUE(cached->search("cnn", 5));
  ASSERT_TRUE(cached->search("cnn", 5));  // from the cache: not added again
  auto size = shared->size();
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 1);
  auto found = shared->find("doi", "10.1/cnn");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->title, p.title);
}

// ---- AutoSource ----

AutoOptions options_with(int threshold, int cool_down_s, bool empty_falls_through) {
  AutoOptions options;
  if (threshold > 0) options.failure_threshold = threshold;
  if (cool_down_s > 0) options.cool_down = std::chrono::seconds(cool_down_s);
  options.empty_falls_through = empty_falls_through;
  return options;
}

struct AutoFixture : ::testing::Test {
  test_support::FakeClock clock;
  std::shared_ptr<FakeSource> s2 = std::make_shared<FakeSource>("s2");
  std::shared_ptr<FakeSource> openalex = std::make_shared<FakeSource>("openalex");
  std::shared_ptr<FakeSource> arxiv = std::make_shared<FakeSource>("arxiv");

  AutoSource make(AutoOptions options = {}) {
    return AutoSource({s2, openalex, arxiv}, clock, options);
  }
};

TEST_F(AutoFixture, FirstSourceAnswers) {
  s2->fallback = papers({"A"});
  AutoSource source = make();
  EXPECT_EQ(source.last_served_by(), "");
  auto got = source.search("q", 3);
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0].source, "s2");
  EXPECT_EQ(source.last_served_by(), "s2");
  EXPECT_EQ(openalex->calls(), 0);
  EXPECT_EQ(source.name(), "auto");
}

TEST_F(AutoFixture, FallsThroughOnFailure) {
  s2->fallback = failure(ErrorCode::network, "connection refused");
  openalex->fallback = papers({"B"});
  AutoSource source = make();
  auto got = source.search_served("q", 3);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->source, "openalex");
  EXPECT_EQ(got->papers[0].source, "openalex");
  EXPECT_EQ(source.last_served_by(), "openalex");
  EXPECT_EQ(s2->calls(), 1);
  EXPECT_EQ(arxiv->calls(), 0);
}

TEST_F(AutoFixture, EmptyIsAnAnswerUnlessConfigured) {
  openalex->fallback = papers({"B"});
  AutoSource strict = make();
  auto got = strict.search("q", 3);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(strict.last_served_by(), "s2");
  EXPECT_EQ(openalex->calls(), 0);

  AutoSource lenient = make(options_with(0, 0, true));
  got = lenient.search("q", 3);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(lenient.last_served_by(), "openalex");

  openalex->fallback = std::vector<Paper>{};
  got = lenient.search("q", 3);  // nobody has papers: the empty answer stands
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(lenient.last_served_by(), "s2");
}

TEST_F(AutoFixture, BreakerOpensAfterThresholdAndClosesAfterCoolDown) {
  s2->fallback = failure(ErrorCode::rate_limited, "HTTP 429");
  openalex->fallback = papers({"B"});
  AutoSource source = make(options_with(3, 300, false));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(source.search("q", 3));
  EXPECT_EQ(s2->calls(), 3);
  ASSERT_TRUE(source.search("q", 3));  // open: s2 not asked
  EXPECT_EQ(s2->calls(), 3);
  EXPECT_EQ(source.last_served_by(), "openalex");

  clock.advance(std::chrono::minutes(5) - std::chrono::seconds(1));
  ASSERT_TRUE(source.search("q", 3));
  EXPECT_EQ(s2->calls(), 3);

  clock.advance(std::chrono::seconds(1));  // cool-down over: tried once more, fails, reopens
  ASSERT_TRUE(source.search("q", 3));
  EXPECT_EQ(s2->calls(), 4);
  ASSERT_TRUE(source.search("q", 3));
  EXPECT_EQ(s2->calls(), 4);

  clock.advance(std::chrono::minutes(5));
  s2->fallback = papers({"A"});  // recovered: closes the breaker
  ASSERT_TRUE(source.search("q", 3));
  EXPECT_EQ(source.last_served_by(), "s2");
  s2->fallback = failure(ErrorCode::timeout, "slow");
  ASSERT_TRUE(source.search("q", 3));  // one failure after a success does not open it
  ASSERT_TRUE(source.search("q", 3));
  EXPECT_EQ(s2->calls(), 7);
}

TEST_F(AutoFixture, SuccessResetsTheFailureCount) {
  openalex->fallback = papers({"B"});
  s2->then(failure(ErrorCode::server_error, "500"));
  s2->then(failure(ErrorCode::server_error, "500"));
  s2->then(papers({"A"}));
  s2->then(failure(ErrorCode::server_error, "500"));
  s2->then(failure(ErrorCode::server_error, "500"));
  s2->fallback = papers({"A"});
  AutoSource source = make();
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE(source.search("q", 3));
  EXPECT_EQ(s2->calls(), 6);  // never three in a row: never skipped
}

TEST_F(AutoFixture, AuthErrorDisablesTheSourceForGood) {
  s2->fallback = failure(ErrorCode::auth, "HTTP 403: bad key");
  openalex->fallback = papers({"B"});
  AutoSource source = make();
  ASSERT_TRUE(source.search("q", 3));
  clock.advance(std::chrono::hours(24));
  ASSERT_TRUE(source.search("q", 3));
  EXPECT_EQ(s2->calls(), 1);

  openalex->fallback = failure(ErrorCode::network, "down");
  arxiv->fallback = failure(ErrorCode::server_error, "502");
  auto failed = source.search("q", 3);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("s2: disabled"), std::string::npos)
      << failed.error().message;
  EXPECT_NE(failed.error().message.find("bad key"), std::string::npos);
}

TEST_F(AutoFixture, AllFailErrorListsEachSource) {
  s2->fallback = failure(ErrorCode::config, "S2 needs a key");
  openalex->fallback = failure(ErrorCode::rate_limited, "HTTP 429 from openalex");
  arxiv->fallback = failure(ErrorCode::parse, "malformed Atom");
  AutoSource source = make();
  auto failed = source.search("q", 3);
  ASSERT_FALSE(failed);
  const std::string& message = failed.error().message;
  EXPECT_NE(message.find("s2: config: S2 needs a key"), std::string::npos) << message;
  EXPECT_NE(message.find("openalex: rate_limited: HTTP 429 from openalex"), std::string::npos)
      << message;
  EXPECT_NE(message.find("arxiv: parse: malformed Atom"), std::string::npos) << message;
  EXPECT_EQ(failed.error().code, ErrorCode::rate_limited);  // trying later may help
  EXPECT_EQ(source.last_served_by(), "");
}

TEST_F(AutoFixture, AllFailWithOpenBreakerSaysSkipped) {
  s2->fallback = failure(ErrorCode::network, "refused");
  openalex->fallback = failure(ErrorCode::network, "refused");
  arxiv->fallback = failure(ErrorCode::network, "refused");
  AutoSource source = make(options_with(1, 300, false));
  ASSERT_FALSE(source.search("q", 3));
  auto failed = source.search("q", 3);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::network);
  EXPECT_NE(failed.error().message.find("arxiv: skipped for 300 s after 1 consecutive failures"),
            std::string::npos)
      << failed.error().message;
  EXPECT_EQ(s2->calls(), 1);
}

TEST_F(AutoFixture, CancelledStopsAtOnce) {
  s2->fallback = failure(ErrorCode::cancelled, "Ctrl-C");
  openalex->fallback = papers({"B"});
  AutoSource source = make();
  auto failed = source.search("q", 3);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::cancelled);
  EXPECT_EQ(openalex->calls(), 0);
}

TEST_F(AutoFixture, ConcurrentSearchesAreSafe) {
  s2->fallback = failure(ErrorCode::network, "refused");
  openalex->fallback = papers({"B"});
  AutoSource source = make();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (source.search("q", 3)) ++ok;
        (void)source.last_served_by();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_EQ(source.last_served_by(), "openalex");
  EXPECT_LE(s2->calls(), 3 + 8);
}

}  // namespace
