#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace core {

// One paper as every literature source returns it. Fields a source does not know are empty
// (numbers: nullopt).
struct Paper {
  std::string title;
  std::vector<std::string> authors;  // "Given Family", in order
  std::string venue;
  std::optional<int> year;
  std::string abstract;
  std::optional<long long> citation_count;
  // Identifiers, each empty when unknown.
  std::string doi;
  std::string arxiv_id;
  std::string s2_id;        // Semantic Scholar paperId
  std::string openalex_id;  // "W..." 
  std::string url;
  // A BibTeX entry for the paper: the source's own when it has one (Semantic Scholar's
  // citationStyles), else built from the metadata. Never invented by a model.
  std::string bibtex;
  std::string source;  // which source answered: "local", "s2", "openalex", "arxiv"
};

// A place to search for papers. search() returns at most `limit` papers, best first, or an Error
// whose code says what to do (rate_limited/network/server_error: try another source or later;
// config: a key or setting is missing). Implementations are thread-safe.
class LiteratureSource {
 public:
  virtual ~LiteratureSource() = default;
  virtual Result<std::vector<Paper>> search(const std::string& query, int limit) = 0;
  // "local", "s2", "openalex", "arxiv".
  virtual std::string name() const = 0;
};

}  // namespace core
