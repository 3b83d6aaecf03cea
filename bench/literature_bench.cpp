// Local literature index benchmark: import speed and search latency on a generated corpus,
// compared in the same run with a plain SQLite LIKE scan as the floor to beat.
//
//   build/bench/literature_bench [--papers N] [--queries Q] [--like-queries L] [--dir PATH]
//
// Generates N papers (default 1,000,000) as a Semantic Scholar-style JSON-lines file (synthetic
// words with a Zipf distribution), imports it with literature::import_file, then runs Q queries
// (default 200) of 2-3 words taken from random papers' titles through LocalIndex::search (top 10)
// and L of them (default 20: each is a full scan) through
//   SELECT ... WHERE (title LIKE '%w1%' OR abstract LIKE '%w1%') AND (... w2 ...) LIMIT 10
// Reports papers/s, median and p99 latency, and how often the paper a query came from is in the
// top 10 (LIKE cannot rank, so its "hit rate" is whatever the scan happens to return first).

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "literature/import.h"
#include "literature/local_index.h"
#include "store/database.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Options {
  long long papers = 1000000;
  int queries = 200;
  int like_queries = 20;
  std::filesystem::path dir;
};

class Corpus {
 public:
  explicit Corpus(unsigned seed) : m_rng(seed) {
    static const char* kSyllables[] = {"ka",  "lo",  "mi",  "ne",  "ru",  "sa",  "ti",  "vo",
                                       "ze",  "pra", "del", "gon", "hul", "jin", "qua", "bor",
                                       "cet", "fyn", "wex", "tor", "lin", "mar", "sel", "dra"};
    const int n = sizeof(kSyllables) / sizeof(kSyllables[0]);
    std::uniform_int_distribution<int> syllable(0, n - 1);
    std::uniform_int_distribution<int> length(2, 4);
    while (m_words.size() < 50000) {
      std::string w;
      for (int i = length(m_rng); i > 0; --i)
        w += kSyllables[syllable(m_rng)];
      m_words.push_back(std::move(w));
    }
    // Zipf(1.0) cumulative weights.
    double total = 0;
    for (size_t i = 0; i < m_words.size(); ++i) {
      total += 1.0 / static_cast<double>(i + 1);
      m_cdf.push_back(total);
    }
    for (auto& c : m_cdf)
      c /= total;
  }

  const std::string& word() {
    const double u = m_unit(m_rng);
    const size_t i =
        static_cast<size_t>(std::lower_bound(m_cdf.begin(), m_cdf.end(), u) - m_cdf.begin());
    return m_words[std::min(i, m_words.size() - 1)];
  }
  std::string words(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      if (i) out += ' ';
      out += word();
    }
    return out;
  }
  std::mt19937_64& rng() { return m_rng; }

 private:
  std::mt19937_64 m_rng;
  std::uniform_real_distribution<double> m_unit{0.0, 1.0};
  std::vector<std::string> m_words;
  std::vector<double> m_cdf;
};

struct Latency {
  double median_ms = 0;
  double p99_ms = 0;
  double mean_ms = 0;
};

Latency summarize(std::vector<double> ms) {
  Latency l;
  if (ms.empty()) return l;
  std::sort(ms.begin(), ms.end());
  l.median_ms = ms[ms.size() / 2];
  l.p99_ms = ms[std::min(ms.size() - 1, static_cast<size_t>(std::ceil(ms.size() * 0.99)) - 1)];
  double sum = 0;
  for (double v : ms)
    sum += v;
  l.mean_ms = sum / static_cast<double>(ms.size());
  return l;
}

int run(const Options& opt) {
  std::filesystem::create_directories(opt.dir);
  const auto dump = opt.dir / "papers.jsonl";
  const auto db_path = opt.dir / "lit.db";
  for (auto suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(db_path.string() + suffix);
  }

  // 1. Generate the dump; remember some titles to query.
  Corpus corpus(42);
  struct Query {
    std::string text;
    std::string s2_id;
  };
  std::vector<Query> queries;
  const long long stride = std::max<long long>(1, opt.papers / std::max(1, opt.queries));
  auto start = Clock::now();
  {
    std::ofstream out(dump);
    std::uniform_int_distribution<int> year(1990, 2025);
    std::uniform_int_distribution<int> citations(0, 5000);
    for (long long i = 0; i < opt.papers; ++i) {
      const std::string title = corpus.words(8);
      nlohmann::json j = {{"paperId", fmt::format("p{}", i)},
                          {"title", title},
                          {"abstract", corpus.words(60)},
                          {"authors", {{{"name", corpus.words(2)}}, {{"name", corpus.words(2)}}}},
                          {"venue", corpus.words(3)},
                          {"year", year(corpus.rng())},
                          {"citationCount", citations(corpus.rng())}};
      out << j.dump() << '\n';
      if (i % stride == 0 && static_cast<int>(queries.size()) < opt.queries) {
        // Three title words (the rarer end of the title: its last words).
        std::vector<std::string> words;
        size_t pos = 0;
        while (pos < title.size()) {
          size_t end = title.find(' ', pos);
          if (end == std::string::npos) end = title.size();
          words.push_back(title.substr(pos, end - pos));
          pos = end + 1;
        }
        std::shuffle(words.begin(), words.end(), corpus.rng());
        queries.push_back({words[0] + " " + words[1] + " " + words[2], fmt::format("p{}", i)});
      }
    }
  }
  const double gen_s = seconds_since(start);
  const auto dump_mb = static_cast<double>(std::filesystem::file_size(dump)) / 1e6;
  fmt::print("corpus: {} papers, {:.0f} MB JSON lines, generated in {:.1f} s\n", opt.papers,
             dump_mb, gen_s);

  // 2. Import.
  auto index = literature::LocalIndex::open(db_path);
  if (!index) {
    fmt::print(stderr, "{}\n", index.error().describe());
    return 1;
  }
  start = Clock::now();
  auto counts = literature::import_file(**index, dump, literature::Format::s2);
  const double import_s = seconds_since(start);
  if (!counts) {
    fmt::print(stderr, "{}\n", counts.error().describe());
    return 1;
  }
  const auto db_mb = static_cast<double>(std::filesystem::file_size(db_path)) / 1e6;
  fmt::print("import: {} read, {} added, {} skipped in {:.1f} s = {:.0f} papers/s; db {:.0f} MB\n",
             counts->read, counts->added, counts->skipped, import_s,
             static_cast<double>(counts->added) / import_s, db_mb);
  (void)(*index)->search("warm", 10);  // let the first query not pay for opening

  // 3. FTS5 search.
  std::vector<double> fts_ms;
  int fts_hits = 0;
  for (const auto& q : queries) {
    const auto t = Clock::now();
    auto r = (*index)->search(q.text, 10);
    fts_ms.push_back(seconds_since(t) * 1000);
    if (!r) {
      fmt::print(stderr, "{}\n", r.error().describe());
      return 1;
    }
    for (const auto& p : *r) {
      if (p.s2_id == q.s2_id) ++fts_hits;
    }
  }
  const Latency fts = summarize(fts_ms);

  // 4. LIKE floor: every query word in the title or abstract, first 10 rows.
  auto db = store::Database::open(db_path);
  if (!db) {
    fmt::print(stderr, "{}\n", db.error().describe());
    return 1;
  }
  auto like = db->prepare(
      "SELECT s2_id FROM papers WHERE (title LIKE ?1 OR abstract LIKE ?1) AND (title LIKE ?2 OR "
      "abstract LIKE ?2) AND (title LIKE ?3 OR abstract LIKE ?3) LIMIT 10");
  if (!like) {
    fmt::print(stderr, "{}\n", like.error().describe());
    return 1;
  }
  std::vector<double> like_ms;
  int like_hits = 0;
  const int like_n = std::min<int>(opt.like_queries, static_cast<int>(queries.size()));
  for (int i = 0; i < like_n; ++i) {
    const auto& q = queries[static_cast<size_t>(i)];
    const auto terms = literature::query_terms(q.text);
    const auto t = Clock::now();
    like->reset();
    for (int k = 0; k < 3; ++k) {
      const std::string term = k < static_cast<int>(terms.size()) ? terms[k] : terms[0];
      (void)like->bind(k + 1, "%" + term + "%");
    }
    for (;;) {
      auto row = like->step();
      if (!row || !*row) break;
      if (like->column_text(0) == q.s2_id) ++like_hits;
    }
    like_ms.push_back(seconds_since(t) * 1000);
  }
  const Latency floor = summarize(like_ms);

  fmt::print(
      "search FTS5/bm25 (top 10, {} queries): median {:.3f} ms, p99 {:.3f} ms, mean {:.3f} "
      "ms; source paper in top 10: {}/{}\n",
      fts_ms.size(), fts.median_ms, fts.p99_ms, fts.mean_ms, fts_hits, fts_ms.size());
  fmt::print(
      "search LIKE scan (first 10, {} queries): median {:.1f} ms, p99 {:.1f} ms, mean "
      "{:.1f} ms; source paper in first 10: {}/{}\n",
      like_ms.size(), floor.median_ms, floor.p99_ms, floor.mean_ms, like_hits, like_ms.size());
  if (fts.median_ms > 0) {
    fmt::print("ratio: FTS5 median is {:.0f}x faster than the LIKE scan's median\n",
               floor.median_ms / fts.median_ms);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  opt.dir = std::filesystem::temp_directory_path() / "ai-scientist-literature-bench";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", arg);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--papers") {
      opt.papers = std::stoll(value());
    } else if (arg == "--queries") {
      opt.queries = std::stoi(value());
    } else if (arg == "--like-queries") {
      opt.like_queries = std::stoi(value());
    } else if (arg == "--dir") {
      opt.dir = value();
    } else {
      fmt::print(stderr,
                 "usage: literature_bench [--papers N] [--queries Q] [--like-queries L] "
                 "[--dir PATH]\n");
      return 2;
    }
  }
  return run(opt);
}
