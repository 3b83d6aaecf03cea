// The remote literature sources (Semantic Scholar, OpenAlex, arXiv) over real HTTP (libcurl)
// against loopback fakes: request shape (URL encoding, parameters, the key header), parsing of
// each service's answers, BibTeX, bounded retries honouring Retry-After, the rate limiters'
// spacing (as the fake clock's recorded sleeps), and the errors a user sees.
#include <thread>

#include <gtest/gtest.h>

#include "http/curl_transport.h"
#include "literature/arxiv.h"
#include "literature/bibtex.h"
#include "literature/openalex.h"
#include "literature/semantic_scholar.h"
#include "support/fake_clock.h"
#include "support/fake_literature_servers.h"

namespace {

using namespace std::chrono_literals;
using core::ErrorCode;
using core::Paper;
using test_support::FakeClock;
using test_support::query_params;
using test_support::ScriptedReply;

constexpr const char* k_s2_key = "s2-test-key-0123456789";

literature::RemoteOptions remote_options(const std::string& base_url,
                                         std::vector<std::string>* notices = nullptr) {
  literature::RemoteOptions o;
  o.base_url = base_url;
  o.unit_random = [] { return 0.5; };
  if (notices) o.notice = [notices](std::string_view m) { notices->emplace_back(m); };
  return o;
}

// The BibTeX the sources build from metadata, for comparison.
std::string metadata_bibtex(Paper p) {
  p.bibtex.clear();
  return literature::bibtex_from_metadata(p);
}

std::vector<FakeClock::Duration> durations(std::initializer_list<std::chrono::milliseconds> ms) {
  std::vector<FakeClock::Duration> out;
  for (auto m : ms)
    out.emplace_back(m);
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- Semantic Scholar --------------------------------------------------------------------

struct S2Fixture : testing::Test {
  test_support::FakeSemanticScholarServer server;
  http::CurlTransport transport;
  FakeClock clock;
  std::vector<std::string> notices;

  literature::SemanticScholar source(std::string key = k_s2_key) {
    literature::SemanticScholarSettings s;
    s.api_key = std::move(key);
    s.remote = remote_options(server.base_url(), &notices);
    return literature::SemanticScholar(transport, clock, s);
  }
};

test_support::S2Paper s2_paper(std::string id, std::string title, bool with_bibtex = true) {
  test_support::S2Paper p;
  p.paper_id = std::move(id);
  p.title = std::move(title);
  if (!with_bibtex) p.bibtex.clear();
  return p;
}

TEST_F(S2Fixture, SearchSendsEncodedQueryFieldsLimitAndKeyAndParsesPapers) {
  test_support::S2Paper a = s2_paper("aaa111", "Graph Networks");
  a.authors = {"Peter Battaglia", "Jessica Hamrick"};
  a.venue = "arXiv.org";
  a.year = 2018;
  a.citation_count = 3000;
  a.doi = "10.48550/arXiv.1806.01261";
  a.arxiv_id = "1806.01261";
  a.abstract = "Relational inductive biases.";
  a.bibtex = "@Article{Battaglia2018,\n title = {Graph Networks}\n}\n";
  server.enqueue_search(test_support::s2_search_reply({a, s2_paper("bbb222", "Second")}));

  auto s2 = source();
  EXPECT_EQ(s2.name(), "s2");
  auto papers = s2.search("graph nets & relational/bias: 100%", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  ASSERT_EQ(papers->size(), 2u);
  const Paper& p = (*papers)[0];
  EXPECT_EQ(p.title, "Graph Networks");
  EXPECT_EQ(p.authors, (std::vector<std::string>{"Peter Battaglia", "Jessica Hamrick"}));
  EXPECT_EQ(p.venue, "arXiv.org");
  EXPECT_EQ(p.year, 2018);
  EXPECT_EQ(p.citation_count, 3000);
  EXPECT_EQ(p.abstract, "Relational inductive biases.");
  EXPECT_EQ(p.doi, "10.48550/arXiv.1806.01261");
  EXPECT_EQ(p.arxiv_id, "1806.01261");
  EXPECT_EQ(p.s2_id, "aaa111");
  EXPECT_EQ(p.url, "https://www.semanticscholar.org/paper/aaa111");
  EXPECT_EQ(p.bibtex, a.bibtex);  // the service's own
  for (const auto& q : *papers)
    EXPECT_EQ(q.source, "s2");

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].path, "/graph/v1/paper/search");
  EXPECT_TRUE(
      contains(requests[0].query, "query=graph%20nets%20%26%20relational%2Fbias%3A%20100%25&"))
      << requests[0].query;
  EXPECT_TRUE(contains(requests[0].query,
                       "&fields=title,authors,venue,year,abstract,citationCount,externalIds,url,"
                       "citationStyles"))
      << requests[0].query;
  auto params = query_params(requests[0].query);
  EXPECT_EQ(params["query"], "graph nets & relational/bias: 100%");
  EXPECT_EQ(params["limit"], "5");
  EXPECT_EQ(params["fields"],
            "title,authors,venue,year,abstract,citationCount,externalIds,url,citationStyles");
  EXPECT_EQ(requests[0].headers["x-api-key"], k_s2_key);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST_F(S2Fixture, NoKeyMeansNoKeyHeader) {
  server.enqueue_search(test_support::s2_search_reply({s2_paper("a", "A")}));
  auto papers = source("").search("q", 3);
  ASSERT_TRUE(papers) << papers.error().describe();
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.count("x-api-key"), 0u);
}

TEST_F(S2Fixture, ReturnsAtMostLimitAndAsksAtMostTheServiceMaximum) {
  server.enqueue_search(
      test_support::s2_search_reply({s2_paper("a", "A"), s2_paper("b", "B"), s2_paper("c", "C")}));
  server.enqueue_search(test_support::s2_search_reply({s2_paper("a", "A")}));
  auto s2 = source();
  auto two = s2.search("q", 2);
  ASSERT_TRUE(two) << two.error().describe();
  EXPECT_EQ(two->size(), 2u);
  auto many = s2.search("q", 1000);
  ASSERT_TRUE(many) << many.error().describe();
  EXPECT_EQ(query_params(server.requests()[1].query)["limit"], "100");
  auto none = s2.search("q", 0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(server.requests().size(), 2u);  // limit 0 asks nothing
  auto blank = s2.search("   ", 5);
  ASSERT_FALSE(blank);
  EXPECT_EQ(blank.error().code, ErrorCode::invalid_argument);
}

TEST_F(S2Fixture, EmptyResultsAreNotAnError) {
  server.enqueue_search(test_support::s2_search_reply({}));  // {"total":0,"offset":0}
  auto papers = source().search("nothing matches this", 10);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_TRUE(papers->empty());
}

TEST_F(S2Fixture, ResultWithoutCitationStylesGetsBibtexByIdPacedByTheLimiter) {
  server.enqueue_search(test_support::s2_search_reply(
      {s2_paper("withbib", "Has BibTeX"), s2_paper("nobib", "Lacks BibTeX", false)}));
  const std::string fetched = "@Inproceedings{Fetched2020,\n title = {Lacks BibTeX}\n}\n";
  server.enqueue_paper("nobib", test_support::s2_paper_reply("nobib", fetched));

  auto papers = source().search("bibtex", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  ASSERT_EQ(papers->size(), 2u);
  EXPECT_EQ((*papers)[1].bibtex, fetched);

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].path, "/graph/v1/paper/nobib");
  EXPECT_EQ(query_params(requests[1].query)["fields"], "citationStyles");
  EXPECT_EQ(requests[1].headers["x-api-key"], k_s2_key);
  // The second request waited out the one-per-second limit.
  EXPECT_EQ(clock.sleeps(), durations({1000ms}));
}

TEST_F(S2Fixture, FailedBibtexFetchFallsBackToMetadata) {
  server.enqueue_search(test_support::s2_search_reply(
      {s2_paper("gone", "Gone Paper", false), s2_paper("broken", "Broken Paper", false)}));
  // "gone": no scripted reply, so the fake answers 404 (not retried).
  // "broken": 500 twice (the fetch's two tries).
  server.enqueue_paper("broken", test_support::s2_error_reply(500, "Internal error"));
  server.enqueue_paper("broken", test_support::s2_error_reply(500, "Internal error"));

  auto papers = source().search("fallback", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  ASSERT_EQ(papers->size(), 2u);
  for (const auto& p : *papers) {
    EXPECT_FALSE(p.bibtex.empty());
    EXPECT_EQ(p.bibtex, metadata_bibtex(p));
    EXPECT_TRUE(contains(p.bibtex, p.title)) << p.bibtex;
  }
  EXPECT_EQ(server.requests().size(), 4u);  // search, gone, broken x2
  EXPECT_FALSE(notices.empty());
}

TEST_F(S2Fixture, RateLimitedBibtexFetchesStopAndTheRestUseMetadata) {
  server.enqueue_search(
      test_support::s2_search_reply({s2_paper("p1", "One", false), s2_paper("p2", "Two", false),
                                     s2_paper("p3", "Three", false)}));
  server.server().set_fallback("/graph/v1/paper/p1",
                               test_support::s2_error_reply(429, "Too Many Requests", "1"));
  auto papers = source().search("q", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  for (const auto& p : *papers)
    EXPECT_EQ(p.bibtex, metadata_bibtex(p));
  EXPECT_EQ(server.requests().size(), 3u);  // search, p1 twice; p2 and p3 not asked
}

TEST_F(S2Fixture, RateLimitStormHonoursRetryAfterAndGivesUpWithAClearError) {
  server.server().set_fallback("/graph/v1/paper/search",
                               test_support::s2_error_reply(429, "Too Many Requests", "7"));
  auto papers = source("").search("storm", 5);
  ASSERT_FALSE(papers);
  const core::Error& e = papers.error();
  EXPECT_EQ(e.code, ErrorCode::rate_limited);
  EXPECT_TRUE(contains(e.message, "Semantic Scholar")) << e.message;
  EXPECT_TRUE(contains(e.message, "HTTP 429")) << e.message;
  EXPECT_TRUE(contains(e.message, "Too Many Requests")) << e.message;
  EXPECT_TRUE(contains(e.message, "set S2_API_KEY")) << e.message;
  EXPECT_TRUE(contains(e.message, "gave up after 4 attempts")) << e.message;
  EXPECT_EQ(server.requests().size(), 4u);
  // Retry-After (7 s) replaces the backoff; it is longer than the limiter's second.
  EXPECT_EQ(clock.sleeps(), durations({7000ms, 7000ms, 7000ms}));
  EXPECT_EQ(notices.size(), 3u);
}

TEST_F(S2Fixture, RateLimitedWithAKeyDoesNotAskForAKey) {
  server.server().set_fallback("/graph/v1/paper/search",
                               test_support::s2_error_reply(429, "Too Many Requests", "1"));
  auto papers = source().search("storm", 5);
  ASSERT_FALSE(papers);
  EXPECT_FALSE(contains(papers.error().message, "set S2_API_KEY")) << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "wait")) << papers.error().message;
}

TEST_F(S2Fixture, RetryAfterThenSuccess) {
  server.enqueue_search(test_support::s2_error_reply(429, "Too Many Requests", "2"));
  server.enqueue_search(test_support::s2_search_reply({s2_paper("a", "A")}));
  auto papers = source().search("q", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_EQ(papers->size(), 1u);
  EXPECT_EQ(clock.sleeps(), durations({2000ms}));
}

TEST_F(S2Fixture, RetryAfterLongerThanThePolicyFailsAtOnce) {
  server.enqueue_search(test_support::s2_error_reply(429, "Slow down", "1000"));
  auto papers = source().search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::rate_limited);
  EXPECT_TRUE(contains(papers.error().message, "asked to wait 1000 s")) << papers.error().message;
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(clock.sleeps().empty());
}

TEST_F(S2Fixture, ServerErrorsBackOffAndTheLimiterKeepsItsSpacing) {
  server.enqueue_search(test_support::s2_error_reply(500, "Internal Server Error"));
  server.enqueue_search(test_support::s2_error_reply(502, "Bad Gateway"));
  server.enqueue_search(test_support::s2_search_reply({s2_paper("a", "A")}));
  auto papers = source().search("q", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  // Backoff 750 ms (jitter 0.5 of a 1 s ceiling), then the limiter's remaining 250 ms of its
  // second; then backoff 1500 ms, already past the next slot.
  EXPECT_EQ(clock.sleeps(), durations({750ms, 250ms, 1500ms}));
}

TEST_F(S2Fixture, PersistentServerErrorIsBoundedAndNamed) {
  server.server().set_fallback("/graph/v1/paper/search",
                               test_support::s2_error_reply(500, "Internal Server Error"));
  auto papers = source().search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::server_error);
  EXPECT_TRUE(contains(papers.error().message, "HTTP 500: Internal Server Error"))
      << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "gave up after 4 attempts"));
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST_F(S2Fixture, AuthFailuresAreNotRetriedAndNameTheKey) {
  server.enqueue_search(test_support::s2_error_reply(403, "Forbidden"));
  auto with_key = source().search("q", 5);
  ASSERT_FALSE(with_key);
  EXPECT_EQ(with_key.error().code, ErrorCode::auth);
  EXPECT_TRUE(contains(with_key.error().message, "check S2_API_KEY")) << with_key.error().message;
  EXPECT_FALSE(contains(with_key.error().message, k_s2_key));
  EXPECT_EQ(server.requests().size(), 1u);

  server.enqueue_search(test_support::s2_error_reply(401, "Unauthorized"));
  auto without = source("").search("q", 5);
  ASSERT_FALSE(without);
  EXPECT_EQ(without.error().code, ErrorCode::auth);
  EXPECT_TRUE(contains(without.error().message, "set S2_API_KEY")) << without.error().message;
}

TEST_F(S2Fixture, MalformedBodyIsARetryableServerErrorQuotingTheBody) {
  server.server().set_fallback(
      "/graph/v1/paper/search",
      test_support::status_reply(200, "<html><body>Bad gateway</body></html>", {}, "text/html"));
  auto papers = source().search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::server_error);
  EXPECT_TRUE(core::is_transient(papers.error().code));
  EXPECT_TRUE(contains(papers.error().message, "not JSON")) << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "<html><body>Bad gateway"))
      << papers.error().message;
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST_F(S2Fixture, MalformedThenGoodSucceeds) {
  server.enqueue_search(test_support::status_reply(200, R"({"unexpected": true})"));
  server.enqueue_search(test_support::status_reply(200, R"({"data": "not a list"})"));
  server.enqueue_search(test_support::s2_search_reply({s2_paper("a", "A")}));
  auto papers = source().search("q", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_EQ(papers->size(), 1u);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(S2Fixture, BodyCutShortIsRetried) {
  ScriptedReply cut = test_support::s2_search_reply({s2_paper("a", "A")});
  cut.truncate = true;
  server.enqueue_search(cut);
  server.enqueue_search(test_support::s2_search_reply({s2_paper("a", "A")}));
  auto papers = source().search("q", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(S2Fixture, LimiterSpacesConsecutiveSearchesOneSecondApart) {
  server.server().set_fallback("/graph/v1/paper/search",
                               test_support::s2_search_reply({s2_paper("a", "A")}));
  auto s2 = source();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(s2.search("q", 1));
  EXPECT_EQ(clock.sleeps(), durations({1000ms, 1000ms}));
  // Time that passed on its own counts towards the interval.
  clock.advance(400ms);
  ASSERT_TRUE(s2.search("q", 1));
  EXPECT_EQ(clock.sleeps(), durations({1000ms, 1000ms, 600ms}));
}

TEST_F(S2Fixture, SourcesSharingALimiterShareItsPace) {
  server.server().set_fallback("/graph/v1/paper/search",
                               test_support::s2_search_reply({s2_paper("a", "A")}));
  auto limiter = std::make_shared<literature::RateLimiter>(clock, 1000ms);
  literature::SemanticScholarSettings s;
  s.remote = remote_options(server.base_url());
  s.remote.limiter = limiter;
  literature::SemanticScholar first(transport, clock, s);
  literature::SemanticScholar second(transport, clock, s);
  ASSERT_TRUE(first.search("q", 1));
  ASSERT_TRUE(second.search("q", 1));
  EXPECT_EQ(clock.sleeps(), durations({1000ms}));
}

TEST(S2Network, UnreachableServerIsRetriedThenNamesTheAddressVariable) {
  std::string dead_url;
  {
    test_support::LoopbackServer gone;
    dead_url = gone.base_url();
  }
  http::CurlTransport transport;
  FakeClock clock;
  literature::SemanticScholarSettings s;
  s.remote = remote_options(dead_url);
  auto papers = literature::SemanticScholar(transport, clock, s).search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::network);
  EXPECT_TRUE(contains(papers.error().message, "Semantic Scholar (s2)")) << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "S2_BASE_URL")) << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "gave up after 4 attempts"));
  // Backoff 750 ms, the rest of the limiter's second, then backoffs of 1.5 s and 3 s.
  EXPECT_EQ(clock.sleeps(), durations({750ms, 250ms, 1500ms, 3000ms}));
}

TEST(S2Parse, NullFieldsStayEmpty) {
  auto papers = literature::parse_s2_search(
      R"({"total":1,"data":[{"paperId":"x","title":"T","abstract":null,"year":null,)"
      R"("venue":"","citationCount":null,"externalIds":null,"citationStyles":null,)"
      R"("authors":[{"authorId":null,"name":"A B"}]}]})");
  ASSERT_TRUE(papers) << papers.error().describe();
  ASSERT_EQ(papers->size(), 1u);
  const Paper& p = (*papers)[0];
  EXPECT_EQ(p.title, "T");
  EXPECT_EQ(p.authors, std::vector<std::string>{"A B"});
  EXPECT_FALSE(p.year);
  EXPECT_FALSE(p.citation_count);
  EXPECT_TRUE(p.abstract.empty());
  EXPECT_TRUE(p.bibtex.empty());
  EXPECT_FALSE(literature::parse_s2_search("[]"));
  EXPECT_FALSE(literature::parse_s2_search(R"({"message":"hi"})"));
}

// ---- OpenAlex ----------------------------------------------------------------------------

struct OpenAlexFixture : testing::Test {
  test_support::FakeOpenAlexServer server;
  http::CurlTransport transport;
  FakeClock clock;

  literature::OpenAlex source(std::string mailto = "me@example.org", std::string key = "") {
    literature::OpenAlexSettings s;
    s.mailto = std::move(mailto);
    s.api_key = std::move(key);
    s.remote = remote_options(server.base_url());
    return literature::OpenAlex(transport, clock, s);
  }
};

TEST_F(OpenAlexFixture, SearchParsesWorksRebuildsAbstractsAndBuildsBibtex) {
  test_support::OpenAlexWork w;
  w.title = "Deep Residual Learning";
  w.authors = {"Kaiming He", "Xiangyu Zhang"};
  w.venue = "Computer Vision and Pattern Recognition";
  w.year = 2016;
  w.doi = "10.1109/cvpr.2016.90";
  w.abstract = "Deeper neural networks are more difficult to train and deeper is harder";
  w.cited_by_count = 150000;
  test_support::OpenAlexWork bare;
  bare.id = "W1";
  bare.title = "No Venue";
  bare.venue.clear();
  bare.doi.clear();
  bare.abstract.clear();
  server.enqueue(test_support::openalex_reply({w, bare}));

  auto oa = source();
  EXPECT_EQ(oa.name(), "openalex");
  auto papers = oa.search("residual learning & depth", 10);
  ASSERT_TRUE(papers) << papers.error().describe();
  ASSERT_EQ(papers->size(), 2u);
  const Paper& p = (*papers)[0];
  EXPECT_EQ(p.title, "Deep Residual Learning");
  EXPECT_EQ(p.authors, (std::vector<std::string>{"Kaiming He", "Xiangyu Zhang"}));
  EXPECT_EQ(p.venue, "Computer Vision and Pattern Recognition");
  EXPECT_EQ(p.year, 2016);
  EXPECT_EQ(p.citation_count, 150000);
  EXPECT_EQ(p.doi, "10.1109/cvpr.2016.90");
  EXPECT_EQ(p.openalex_id, "W2741809807");
  EXPECT_EQ(p.abstract, w.abstract);
  EXPECT_EQ(p.url, "https://doi.org/10.1109/cvpr.2016.90");
  EXPECT_EQ(p.source, "openalex");
  EXPECT_EQ(p.bibtex, metadata_bibtex(p));
  EXPECT_TRUE(contains(p.bibtex, "10.1109/cvpr.2016.90")) << p.bibtex;

  const Paper& q = (*papers)[1];
  EXPECT_TRUE(q.venue.empty());
  EXPECT_TRUE(q.doi.empty());
  EXPECT_TRUE(q.abstract.empty());
  EXPECT_EQ(q.openalex_id, "W1");
  EXPECT_FALSE(q.bibtex.empty());

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/works");
  EXPECT_TRUE(contains(requests[0].query, "search=residual%20learning%20%26%20depth&"))
      << requests[0].query;
  auto params = query_params(requests[0].query);
  EXPECT_EQ(params["search"], "residual learning & depth");
  EXPECT_EQ(params["per-page"], "10");
  EXPECT_EQ(params["mailto"], "me@example.org");
  EXPECT_EQ(params.count("api_key"), 0u);
}

TEST_F(OpenAlexFixture, ApiKeyIsSentAsAParameterAndNeverInErrors) {
  server.enqueue(test_support::openalex_reply({}));
  server.enqueue(
      test_support::status_reply(403, R"({"error":"Forbidden","message":"Invalid api_key"})"));
  auto oa = source("", "oa-secret-key");
  auto empty = oa.search("q", 5);
  ASSERT_TRUE(empty) << empty.error().describe();
  EXPECT_TRUE(empty->empty());
  auto params = query_params(server.requests()[0].query);
  EXPECT_EQ(params["api_key"], "oa-secret-key");
  EXPECT_EQ(params.count("mailto"), 0u);
  auto refused = oa.search("q", 5);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::auth);
  EXPECT_TRUE(contains(refused.error().message, "Invalid api_key")) << refused.error().message;
  EXPECT_TRUE(contains(refused.error().message, "OPENALEX_API_KEY")) << refused.error().message;
  EXPECT_FALSE(contains(refused.error().message, "oa-secret-key"));
}

TEST_F(OpenAlexFixture, ArxivPreprintsGetTheirArxivId) {
  test_support::OpenAlexWork w;
  w.doi = "10.48550/arXiv.1706.03762";
  w.venue = "arXiv (Cornell University)";
  server.enqueue(test_support::openalex_reply({w}));
  auto papers = source().search("attention", 1);
  ASSERT_TRUE(papers) << papers.error().describe();
  ASSERT_EQ(papers->size(), 1u);
  EXPECT_EQ((*papers)[0].arxiv_id, "1706.03762");
}

TEST_F(OpenAlexFixture, ReturnsAtMostLimit) {
  test_support::OpenAlexWork a, b, c;
  b.id = "W2";
  c.id = "W3";
  server.enqueue(test_support::openalex_reply({a, b, c}));
  auto papers = source().search("q", 2);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_EQ(papers->size(), 2u);
  EXPECT_EQ(query_params(server.requests()[0].query)["per-page"], "2");
}

TEST_F(OpenAlexFixture, RateLimitStormIsBoundedAndHonoursRetryAfter) {
  server.server().set_fallback(
      "/works", test_support::status_reply(
                    429, R"({"error":"Rate limit exceeded","message":"Too many requests"})", "3"));
  auto papers = source("").search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::rate_limited);
  EXPECT_TRUE(contains(papers.error().message, "OpenAlex (openalex): HTTP 429"))
      << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "Rate limit exceeded")) << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "OPENALEX_MAILTO")) << papers.error().message;
  EXPECT_EQ(server.requests().size(), 4u);
  EXPECT_EQ(clock.sleeps(), durations({3000ms, 3000ms, 3000ms}));
}

TEST_F(OpenAlexFixture, ServerErrorThenSuccess) {
  server.enqueue(test_support::status_reply(503, "Service Unavailable", {}, "text/plain"));
  server.enqueue(test_support::openalex_reply({test_support::OpenAlexWork{}}));
  auto papers = source().search("q", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_EQ(papers->size(), 1u);
  EXPECT_EQ(clock.sleeps(), durations({750ms}));  // past the 100 ms slot already
}

TEST_F(OpenAlexFixture, MalformedBodyIsARetryableServerError) {
  server.server().set_fallback("/works", test_support::status_reply(200, R"({"meta":{}})"));
  auto papers = source().search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::server_error);
  EXPECT_TRUE(contains(papers.error().message, "no \"results\"")) << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, R"({"meta":{}})")) << papers.error().message;
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST_F(OpenAlexFixture, LimiterSpacesRequestsATenthOfASecondApart) {
  server.server().set_fallback("/works", test_support::openalex_reply({}));
  auto oa = source();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(oa.search("q", 1));
  EXPECT_EQ(clock.sleeps(), durations({100ms, 100ms}));
}

TEST(OpenAlexParse, AbstractFollowsPositionsNotKeyOrder) {
  auto index = nlohmann::json::parse(R"({"zeta":[1],"alpha":[0,2],"bad":"x","neg":[-1]})");
  EXPECT_EQ(literature::rebuild_abstract(index), "alpha zeta alpha");
  EXPECT_EQ(literature::rebuild_abstract(nullptr), "");
  EXPECT_FALSE(literature::parse_openalex_search("not json"));
}

// ---- arXiv -------------------------------------------------------------------------------

struct ArxivFixture : testing::Test {
  test_support::FakeArxivServer server;
  http::CurlTransport transport;
  FakeClock clock;

  literature::Arxiv source() {
    literature::ArxivSettings s;
    s.remote = remote_options(server.base_url());
    return literature::Arxiv(transport, clock, s);
  }
};

TEST_F(ArxivFixture, SearchParsesTheAtomFeed) {
  test_support::ArxivEntry only;
  only.id = "2101.00001v2";
  only.title = "Q&A with <Transformers>:\n   a   \"Study\"";
  only.summary = "  We study\n  things it's   fun.\n";
  only.authors = {"Alan Turing", "Ada Lovelace"};
  test_support::ArxivEntry published;
  published.id = "hep-th/9901001v1";
  published.title = "Strings";
  published.published = "1999-01-01T00:00:00Z";
  published.doi = "10.1000/strings";
  published.journal_ref = "Phys. Rev. D 60 (1999)";
  server.enqueue(test_support::arxiv_feed({only, published}));

  auto ax = source();
  EXPECT_EQ(ax.name(), "arxiv");
  auto papers = ax.search("transformers study", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  ASSERT_EQ(papers->size(), 2u);
  const Paper& p = (*papers)[0];
  EXPECT_EQ(p.title, "Q&A with <Transformers>: a \"Study\"");
  EXPECT_EQ(p.abstract, "We study things it's fun.");
  EXPECT_EQ(p.authors, (std::vector<std::string>{"Alan Turing", "Ada Lovelace"}));
  EXPECT_EQ(p.arxiv_id, "2101.00001");
  EXPECT_EQ(p.url, "https://arxiv.org/abs/2101.00001");
  EXPECT_EQ(p.year, 2021);
  EXPECT_TRUE(p.venue.empty());
  EXPECT_TRUE(p.doi.empty());
  EXPECT_EQ(p.source, "arxiv");
  EXPECT_EQ(p.bibtex, metadata_bibtex(p));
  EXPECT_TRUE(p.bibtex.starts_with("@misc")) << p.bibtex;
  EXPECT_TRUE(contains(p.bibtex, "2101.00001")) << p.bibtex;

  const Paper& q = (*papers)[1];
  EXPECT_EQ(q.arxiv_id, "hep-th/9901001");
  EXPECT_EQ(q.doi, "10.1000/strings");
  EXPECT_EQ(q.venue, "Phys. Rev. D 60 (1999)");
  EXPECT_EQ(q.year, 1999);
  EXPECT_EQ(q.bibtex, metadata_bibtex(q));

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/api/query");
  EXPECT_TRUE(contains(requests[0].query, "search_query=all%3Atransformers%20AND%20all%3Astudy&"))
      << requests[0].query;
  auto params = query_params(requests[0].query);
  EXPECT_EQ(params["search_query"], "all:transformers AND all:study");
  EXPECT_EQ(params["max_results"], "5");
}

TEST_F(ArxivFixture, QuerySyntaxIsNeutralised) {
  server.enqueue(test_support::arxiv_feed({}));
  auto papers = source().search("\"graph (neural)\" OR nets: a&b", 3);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_TRUE(papers->empty());
  EXPECT_EQ(query_params(server.requests()[0].query)["search_query"],
            "all:graph AND all:neural AND all:nets AND all:a&b");
  auto blank = source().search("( ) OR", 3);
  ASSERT_FALSE(blank);
  EXPECT_EQ(blank.error().code, ErrorCode::invalid_argument);
}

TEST_F(ArxivFixture, RefusedQueryIsABadRequestWithArxivsMessage) {
  server.enqueue(test_support::arxiv_error_feed("malformed query: unbalanced quotes"));
  auto papers = source().search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::bad_request);
  EXPECT_TRUE(contains(papers.error().message, "arXiv (arxiv): HTTP 400"))
      << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "malformed query: unbalanced quotes"))
      << papers.error().message;
  EXPECT_EQ(server.requests().size(), 1u);

  // The same error entry sent with 200 is refused the same way.
  server.enqueue(test_support::arxiv_error_feed("incorrect id format", 200));
  auto again = source().search("q", 5);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::bad_request);
  EXPECT_TRUE(contains(again.error().message, "incorrect id format")) << again.error().message;
}

TEST_F(ArxivFixture, ReturnsAtMostLimit) {
  test_support::ArxivEntry a, b, c;
  b.id = "2101.00002v1";
  c.id = "2101.00003v1";
  server.enqueue(test_support::arxiv_feed({a, b, c}));
  auto papers = source().search("q", 2);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_EQ(papers->size(), 2u);
}

TEST_F(ArxivFixture, MalformedBodyIsRetriedThenNamed) {
  server.server().set_fallback(
      "/api/query",
      test_support::status_reply(200, "<html><body>Proxy error</body></html>", {}, "text/html"));
  auto papers = source().search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::server_error);
  EXPECT_TRUE(contains(papers.error().message, "Atom feed")) << papers.error().message;
  EXPECT_TRUE(contains(papers.error().message, "Proxy error")) << papers.error().message;
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST_F(ArxivFixture, UnavailableWithRetryAfterThenSuccess) {
  server.enqueue(test_support::status_reply(503, "<html>Retry later</html>", "5", "text/html"));
  server.enqueue(test_support::arxiv_feed({test_support::ArxivEntry{}}));
  auto papers = source().search("q", 5);
  ASSERT_TRUE(papers) << papers.error().describe();
  EXPECT_EQ(papers->size(), 1u);
  EXPECT_EQ(clock.sleeps(), durations({5000ms}));
}

TEST_F(ArxivFixture, PersistentRateLimitIsBounded) {
  server.server().set_fallback(
      "/api/query", test_support::status_reply(429, "Rate exceeded.", "1", "text/plain"));
  auto papers = source().search("q", 5);
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::rate_limited);
  EXPECT_TRUE(contains(papers.error().message, "Rate exceeded.")) << papers.error().message;
  EXPECT_EQ(server.requests().size(), 4u);
  // Retry-After 1 s, then the rest of the limiter's 3 s, each time.
  EXPECT_EQ(clock.sleeps(), durations({1000ms, 2000ms, 1000ms, 2000ms, 1000ms, 2000ms}));
}

TEST_F(ArxivFixture, LimiterSpacesRequestsThreeSecondsApart) {
  server.server().set_fallback("/api/query", test_support::arxiv_feed({}));
  auto ax = source();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(ax.search("q", 1));
  EXPECT_EQ(clock.sleeps(), durations({3000ms, 3000ms}));
}

TEST(ArxivXml, ElementsTextAndIds) {
  using literature::xml::elements;
  using literature::xml::first;
  using literature::xml::text;
  const std::string doc =
      "<?xml version=\"1.0\"?><!-- <entry>commented</entry> -->"
      "<atom:feed><atom:entry a=\"x>y\"><title>One</title><empty/><n><n>in</n></n></atom:entry>"
      "<entry><title><![CDATA[<b>&amp;</b>]]> &#65;&#x42; &unknown; 3 &lt; 4</title></entry>"
      "<entryx><title>no</title></entryx><entry><title>unclosed</entry></atom:feed>";
  auto entries = elements(doc, "entry");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(text(*first(entries[0], "title")), "One");
  EXPECT_EQ(*first(entries[0], "empty"), "");
  EXPECT_EQ(text(*first(entries[0], "n")), "in");
  EXPECT_EQ(text(*first(entries[1], "title")), "<b>&amp;</b> AB &unknown; 3 < 4");
  EXPECT_FALSE(first(entries[2], "title"));
  EXPECT_FALSE(first(doc, "arxiv:doi"));
  EXPECT_EQ(text("  a\n\t b  "), "a b");

  EXPECT_EQ(literature::arxiv_id_from_url("http://arxiv.org/abs/2101.00001v12"), "2101.00001");
  EXPECT_EQ(literature::arxiv_id_from_url("http://arxiv.org/abs/cs/0112017v1"), "cs/0112017");
  EXPECT_EQ(literature::arxiv_id_from_url("http://arxiv.org/abs/2101.00001"), "2101.00001");
  EXPECT_EQ(literature::arxiv_id_from_url("http://example.org/x"), "");
}

TEST(ArxivXml, TruncatedFeedIsMalformed) {
  auto papers = literature::parse_arxiv_feed("<feed><entry><title>cut");
  ASSERT_FALSE(papers);
  EXPECT_EQ(papers.error().code, ErrorCode::server_error);
}

// ---- The limiter itself ------------------------------------------------------------------

TEST(RateLimiter, FirstRequestDoesNotWaitAndElapsedTimeCounts) {
  FakeClock clock;
  literature::RateLimiter limiter(clock, 3000ms);
  limiter.acquire();
  clock.advance(1000ms);
  limiter.acquire();
  clock.advance(5000ms);
  limiter.acquire();
  limiter.acquire();
  EXPECT_EQ(clock.sleeps(), durations({2000ms, 3000ms}));
}

TEST(RateLimiter, ConcurrentCallersAreSpacedOnTheRealClock) {
  core::SteadyClock clock;
  literature::RateLimiter limiter(clock, 20ms);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i)
    threads.emplace_back([&] { limiter.acquire(); });
  for (auto& t : threads)
    t.join();
  // Five starts one interval apart: the last no earlier than 4 intervals after the first.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 80ms);
}

}  // namespace
