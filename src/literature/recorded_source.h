#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/literature.h"

namespace literature {

// Literature answers recorded with a transcript, so that a replayed run (the offline demo) sees
// the papers the recorded run saw without reaching any service. The recording is JSON:
//   {"queries": {"<query>": [{"title", "authors": [...], "venue", "year", "abstract",
//                             "citation_count", "doi", "arxiv_id", "s2_id", "url", "bibtex"}]}}
// Queries match after trimming and case folding. A query the recording lacks finds nothing (an
// empty list, as a service that knows no such paper answers), so a replay never fails for it.
// Papers get source "recorded"; those without "bibtex" get one built from their metadata.
// Thread-safe (read-only after parsing).
class RecordedSource final : public core::LiteratureSource {
 public:
  // Fails with `parse`, naming `source` and what is wrong, when the text is not such a recording.
  static core::Result<std::unique_ptr<RecordedSource>> from_json(std::string_view text,
                                                                 std::string source);
  core::Result<std::vector<core::Paper>> search(const std::string& query, int limit) override;
  std::string name() const override { return "recorded"; }

 private:
  std::map<std::string, std::vector<core::Paper>> m_answers;
};

}  // namespace literature
