#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/literature.h"

namespace literature {

struct AutoOptions {
  // Consecutive transient failures (network, timeout, rate_limited, server_error) after which a
  // source is skipped for `cool_down`. Values below 1 count as 1.
  int failure_threshold = 3;
  std::chrono::seconds cool_down{std::chrono::minutes(5)};
  // When true, a source answering with no papers does not end the search: the next source is
  // tried. When false (the default), an empty answer is an answer.
  bool empty_falls_through = false;
};

// A papers answer and the name of the source that gave it.
struct Served {
  std::vector<core::Paper> papers;
  std::string source;
};

// The "auto" source: tries `sources` in order and returns the first answer.
//
// Per source, a circuit breaker: each transient failure adds one to the source's count of
// consecutive failures (a success resets it); once the count reaches failure_threshold the source
// is skipped until `cool_down` has passed on the Clock, after which it is tried once more (a
// failure then opens the breaker again at once, a success closes it). An auth, config or quota
// failure disables the source for the life of this object, keeping its message. Other failures
// (bad_request, parse, io, ...) move on to the next source for this query only. cancelled is
// returned at once.
//
// Every paper returned has `source` set to the name of the source that served it. When every
// source fails or is skipped, the Error lists each source's failure ("s2: rate_limited: ...;
// openalex: skipped for 120 s after 3 consecutive failures (last: network: ...)"); its code is
// that of the first transient failure or open breaker when there is one (trying later may help),
// else that of the first failure. When some source answered empty (empty_falls_through) and none
// gave papers, the empty answer is returned.
//
// Thread-safe: the breaker state is under a mutex that is not held while a source is asked.
class AutoSource : public core::LiteratureSource {
 public:
  // `sources` must be non-null; `clock` must outlive this object.
  AutoSource(std::vector<std::shared_ptr<core::LiteratureSource>> sources, core::Clock& clock,
             AutoOptions options = {});

  core::Result<std::vector<core::Paper>> search(const std::string& query, int limit) override;
  // As search(), also saying which source answered (safe with concurrent searches, unlike
  // last_served_by()).
  core::Result<Served> search_served(const std::string& query, int limit);
  std::string name() const override { return "auto"; }

  // The source that served the most recent successful search, "" before any.
  std::string last_served_by() const;

 private:
  struct State {
    int consecutive_failures = 0;
    std::optional<core::Clock::TimePoint> open_until;  // breaker open until then
    std::optional<core::Error> last_error;
    bool disabled = false;  // auth/config/quota: for good
  };

  std::vector<std::shared_ptr<core::LiteratureSource>> m_sources;
  core::Clock& m_clock;
  AutoOptions m_options;
  mutable std::mutex m_mutex;
  std::vector<State> m_states;  // parallel to m_sources
  std::string m_last_served_by;
};

}  // namespace literature
