#include "edit/match.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace edit {

namespace {

// Below this average line similarity closest_lines offers nothing: the suggestion would mislead
// more than it helps.
constexpr double k_min_similarity = 0.6;
// closest_lines compares at most about this many pairs of lines. A search of n lines in a file of
// m lines has m - n + 1 windows of n lines; when scoring them all would cost more, only the
// windows that line up with a line of the search found in the file (its stripped text, else a
// similar line) are scored, most promising first, until the budget is spent.
constexpr std::size_t k_max_line_comparisons = 20'000'000;
// Search lines whose stripped text occurs more often than this in the file say little about
// where the search belongs; they are not used as anchors.
constexpr std::size_t k_max_anchor_hits = 64;
// Search lines sampled for similar-line anchors when no line of the search is in the file.
constexpr std::size_t k_probe_lines = 16;
// The indentation rule checks at most this many lines in candidate places (places where the
// stripped lines agree) before giving up.
constexpr std::size_t k_max_indentation_checks = 20'000'000;

// A text split into lines, each without its '\n'. The text is taken to end with '\n' (a missing
// final newline is treated as present), so "a\nb" and "a\nb\n" both give {"a", "b"}.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

// Without trailing spaces, tabs and carriage returns.
std::string_view rstrip(std::string_view line) {
  while (!line.empty() && is_space(line.back()))
    line.remove_suffix(1);
  return line;
}

std::string_view strip(std::string_view line) {
  line = rstrip(line);
  while (!line.empty() && is_space(line.front()))
    line.remove_prefix(1);
  return line;
}

bool is_blank(std::string_view line) {
  return rstrip(line).empty();
}

bool is_elision(std::string_view line) {
  return strip(line) == "...";
}

// `text` as lines that each end in '\n' (a missing final newline added).
std::string with_final_newline(std::string_view text) {
  std::string out(text);
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

std::string join_lines(const std::vector<std::string_view>& lines, std::size_t begin,
                       std::size_t end) {
  std::string out;
  for (std::size_t i = begin; i < end; ++i) {
    out += lines[i];
    out += '\n';
  }
  return out;
}

// The content with lines [begin, end) replaced by `replacement` (whole lines, '\n'-terminated).
std::string splice(const std::vector<std::string_view>& content, std::size_t begin, std::size_t end,
                   std::string_view replacement) {
  std::string out = join_lines(content, 0, begin);
  out += replacement;
  out += join_lines(content, end, content.size());
  return out;
}

// Lines as small integers: equal keys get equal ids, so that finding a run of lines is finding a
// run of integers, which find_sequence does in linear time however repetitive the file is.
enum class Key {
  exact,     // the line as it is
  trailing,  // without trailing whitespace
  stripped,  // without leading and trailing whitespace
};

std::string_view keyed(Key key, std::string_view line) {
  switch (key) {
    case Key::exact:
      return line;
    case Key::trailing:
      return rstrip(line);
    case Key::stripped:
      return strip(line);
  }
  return line;
}

// A content's lines with their ids under each Key, computed when first needed.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) : m_lines(split_lines(text)) {}

  const std::vector<std::string_view>& lines() const { return m_lines; }

  const std::vector<int>& content_ids(Key key) {
    Table& table = m_tables[static_cast<std::size_t>(key)];
    if (!table.built) {
      table.built = true;
      table.content.reserve(m_lines.size());
      for (std::string_view line : m_lines) {
        const auto next = static_cast<int>(table.ids.size());
        table.content.push_back(table.ids.try_emplace(keyed(key, line), next).first->second);
      }
    }
    return table.content;
  }

  // The ids of `lines` under `key`; -1 for a line the content does not have. Nothing is added to
  // the table, so `lines` need not outlive the index.
  std::vector<int> ids(Key key, const std::vector<std::string_view>& lines) {
    content_ids(key);
    const Table& table = m_tables[static_cast<std::size_t>(key)];
    std::vector<int> out;
    out.reserve(lines.size());
    for (std::string_view line : lines) {
      const auto found = table.ids.find(keyed(key, line));
      out.push_back(found == table.ids.end() ? -1 : found->second);
    }
    return out;
  }

 private:
  struct Table {
    bool built = false;
    std::unordered_map<std::string_view, int> ids;
    std::vector<int> content;
  };
  std::vector<std::string_view> m_lines;
  std::array<Table, 3> m_tables;
};

// The first index at or after `from` where `needle` occurs in `hay` and `accept` agrees, or
// nullopt. Knuth-Morris-Pratt: each element of `hay` is looked at a bounded number of times.
template <typename Accept>
std::optional<std::size_t> find_sequence(std::span<const int> hay, std::span<const int> needle,
                                         std::size_t from, Accept accept) {
  if (needle.empty() || needle.size() > hay.size()) return std::nullopt;
  std::vector<std::size_t> fallback(needle.size(), 0);
  for (std::size_t i = 1, k = 0; i < needle.size(); ++i) {
    while (k > 0 && needle[i] != needle[k])
      k = fallback[k - 1];
    if (needle[i] == needle[k]) ++k;
    fallback[i] = k;
  }
  for (std::size_t i = from, k = 0; i < hay.size(); ++i) {
    while (k > 0 && hay[i] != needle[k])
      k = fallback[k - 1];
    if (hay[i] == needle[k]) ++k;
    if (k == needle.size()) {
      const std::size_t at = i + 1 - needle.size();
      if (accept(at)) return at;
      k = fallback[k - 1];
    }
  }
  return std::nullopt;
}

// The first line index at or after `from` where the lines of `search` are the content's lines
// under `key`, or nullopt.
std::optional<std::size_t> find_lines(LineIndex& index, Key key,
                                      const std::vector<std::string_view>& search,
                                      std::size_t from = 0) {
  const std::vector<int> needle = index.ids(key, search);
  return find_sequence(index.content_ids(key), needle, from, [](std::size_t) { return true; });
}

// A uniform indentation shift: the file's lines are the search lines with `prefix` added
// (add == true) or removed (add == false).
struct Shift {
  std::string_view prefix;
  bool add = true;
};

bool is_indentation(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// The shift that turns the search lines into content[at, at + n), if one uniform non-empty shift
// does. Blank search lines must face blank file lines; trailing whitespace is ignored. `checked`
// counts the lines looked at.
std::optional<Shift> find_shift(const std::vector<std::string_view>& content,
                                const std::vector<std::string_view>& search, std::size_t at,
                                std::size_t& checked) {
  std::optional<Shift> shift;
  for (std::size_t j = 0; j < search.size(); ++j) {
    ++checked;
    const std::string_view c = rstrip(content[at + j]);
    const std::string_view s = rstrip(search[j]);
    if (s.empty() || c.empty()) {
      if (s.empty() != c.empty()) return std::nullopt;
      continue;
    }
    if (!shift) {
      if (c.size() > s.size() && c.ends_with(s)) {
        shift = Shift{c.substr(0, c.size() - s.size()), true};
      } else if (s.size() > c.size() && s.ends_with(c)) {
        shift = Shift{s.substr(0, s.size() - c.size()), false};
      } else {
        return std::nullopt;
      }
      if (!is_indentation(shift->prefix)) return std::nullopt;
      continue;
    }
    const std::string_view longer = shift->add ? c : s;
    const std::string_view shorter = shift->add ? s : c;
    if (longer.size() != shift->prefix.size() + shorter.size() ||
        !longer.starts_with(shift->prefix) || !longer.ends_with(shorter)) {
      return std::nullopt;
    }
  }
  return shift;
}

// The replacement re-indented like the search: `prefix` added to each non-blank line, or removed
// from each line that starts with it.
std::string reindent(std::string_view replace, const Shift& shift) {
  std::string out;
  for (std::string_view line : split_lines(replace)) {
    if (shift.add) {
      if (!is_blank(line)) out += shift.prefix;
    } else if (line.starts_with(shift.prefix)) {
      line.remove_prefix(shift.prefix.size());
    }
    out += line;
    out += '\n';
  }
  return out;
}

// Rule 3: the search lines shifted by a uniform indentation. Only places where the stripped
// lines agree can match, so only those are checked.
std::optional<std::string> replace_indented(LineIndex& index,
                                            const std::vector<std::string_view>& search,
                                            std::string_view replace) {
  const auto& content = index.lines();
  if (search.empty() || search.size() > content.size()) return std::nullopt;
  if (std::all_of(search.begin(), search.end(), is_blank)) return std::nullopt;
  std::size_t checked = 0;
  std::optional<Shift> shift;
  const std::vector<int> needle = index.ids(Key::stripped, search);
  const auto at = find_sequence(index.content_ids(Key::stripped), needle, 0, [&](std::size_t i) {
    if (checked > k_max_indentation_checks) return true;  // give up
    shift = find_shift(content, search, i, checked);
    return shift.has_value();
  });
  if (!at || !shift) return std::nullopt;
  return splice(content, *at, *at + search.size(), reindent(replace, *shift));
}

// Rules 1 to 3 on the content `index` holds and `search` and `replace`, all ending in '\n'
// (replace may be empty).
std::optional<Replacement> replace_line_rules(LineIndex& index, std::string_view search,
                                              std::string_view replace) {
  const auto search_lines = split_lines(search);
  if (const auto at = find_lines(index, Key::exact, search_lines)) {
    return Replacement{splice(index.lines(), *at, *at + search_lines.size(), replace),
                       MatchKind::exact};
  }
  if (const auto at = find_lines(index, Key::trailing, search_lines)) {
    return Replacement{splice(index.lines(), *at, *at + search_lines.size(), replace),
                       MatchKind::trailing_whitespace};
  }
  if (auto out = replace_indented(index, search_lines, replace)) {
    return Replacement{std::move(*out), MatchKind::indentation};
  }
  return std::nullopt;
}

// `text` split at its `...` lines: one piece more than there are such lines.
std::vector<std::vector<std::string_view>> split_at_elisions(std::string_view text) {
  std::vector<std::vector<std::string_view>> pieces(1);
  for (std::string_view line : split_lines(text)) {
    if (is_elision(line)) {
      pieces.emplace_back();
    } else {
      pieces.back().push_back(line);
    }
  }
  return pieces;
}

// Rule 5: `...` lines stand for runs of lines that are kept. Each search piece is found in order
// (exactly, else ignoring trailing whitespace) and replaced by its replace piece. An empty search
// piece facing a non-empty replace piece has no place to go, so it is no match.
std::optional<std::string> replace_elided(LineIndex& index, std::string_view search,
                                          std::string_view replace) {
  const auto search_pieces = split_at_elisions(search);
  const auto replace_pieces = split_at_elisions(replace);
  if (search_pieces.size() < 2 || search_pieces.size() != replace_pieces.size()) {
    return std::nullopt;
  }
  const auto& content_lines = index.lines();
  struct Piece {
    std::size_t begin;
    std::size_t end;
    std::string replacement;
  };
  std::vector<Piece> found;
  std::size_t from = 0;
  for (std::size_t k = 0; k < search_pieces.size(); ++k) {
    const auto& piece = search_pieces[k];
    if (piece.empty()) {
      if (!replace_pieces[k].empty()) return std::nullopt;
      continue;
    }
    auto at = find_lines(index, Key::exact, piece, from);
    if (!at) at = find_lines(index, Key::trailing, piece, from);
    if (!at) return std::nullopt;
    found.push_back(
        {*at, *at + piece.size(), join_lines(replace_pieces[k], 0, replace_pieces[k].size())});
    from = *at + piece.size();
  }
  if (found.empty()) return std::nullopt;
  std::string out;
  std::size_t next = 0;
  for (const Piece& piece : found) {
    out += join_lines(content_lines, next, piece.begin);
    out += piece.replacement;
    next = piece.end;
  }
  out += join_lines(content_lines, next, content_lines.size());
  return out;
}

// A line prepared for similarity scoring: its stripped text and the set of its character
// bigrams, hashed into a fixed bitset so that comparing two lines is a few AND and popcount
// operations (closest_lines compares every search line with thousands of file lines).
struct ScoredLine {
  std::string_view text;
  std::array<std::uint64_t, 8> bigrams{};  // 512 bits
  int count = 0;                           // bits set
};

ScoredLine prepare(std::string_view line) {
  ScoredLine out;
  out.text = strip(line);
  for (std::size_t i = 0; i + 1 < out.text.size(); ++i) {
    const std::uint32_t bigram =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(out.text[i])) << 8) |
        static_cast<unsigned char>(out.text[i + 1]);
    const std::uint32_t bit = (bigram * 2654435761u) >> 23;  // Knuth's multiplicative hash, 9 bits
    out.bigrams[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
  for (std::uint64_t word : out.bigrams)
    out.count += std::popcount(word);
  return out;
}

// Similarity of two lines in [0, 1]: 1 when equal once stripped, else the Dice coefficient of
// their sets of character bigrams.
double similarity(const ScoredLine& a, const ScoredLine& b) {
  if (a.text == b.text) return 1.0;
  if (a.count == 0 || b.count == 0) return 0.0;
  int common = 0;
  for (std::size_t i = 0; i < a.bigrams.size(); ++i) {
    common += std::popcount(a.bigrams[i] & b.bigrams[i]);
  }
  return 2.0 * common / (a.count + b.count);
}

// The window starts worth scoring when there are too many windows to score them all: those that
// put a line of the search on a file line with the same stripped text (lines too common in the
// file left out), or, when there is none, those that put one of a few sampled search lines on a
// similar file line. Each such line votes for its window (an exact hit with 1, a similar line with
// its similarity); most votes first, then in file order.
std::vector<std::size_t> anchored_windows(const std::vector<ScoredLine>& file,
                                          const std::vector<ScoredLine>& wanted,
                                          std::size_t windows) {
  std::vector<double> votes(windows, 0.0);
  bool any = false;
  const auto vote = [&](std::size_t at, std::size_t j, double weight) {
    if (at < j || at - j >= windows) return;
    votes[at - j] += weight;
    any = true;
  };

  std::unordered_map<std::string_view, std::vector<std::size_t>> where;
  for (std::size_t i = 0; i < file.size(); ++i) {
    if (!file[i].text.empty()) where[file[i].text].push_back(i);
  }
  for (std::size_t j = 0; j < wanted.size(); ++j) {
    const auto found = where.find(wanted[j].text);
    if (found == where.end() || found->second.size() > k_max_anchor_hits) continue;
    for (const std::size_t at : found->second)
      vote(at, j, 1.0);
  }

  if (!any) {
    std::vector<std::size_t> probes;
    for (std::size_t j = 0; j < wanted.size(); ++j) {
      if (wanted[j].count > 0) probes.push_back(j);
    }
    if (probes.size() > k_probe_lines) {
      std::vector<std::size_t> sampled;
      for (std::size_t k = 0; k < k_probe_lines; ++k)
        sampled.push_back(probes[k * probes.size() / k_probe_lines]);
      probes = std::move(sampled);
    }
    for (const std::size_t j : probes) {
      for (std::size_t at = j; at < j + windows && at < file.size(); ++at) {
        const double similar = similarity(file[at], wanted[j]);
        if (similar >= k_min_similarity) vote(at, j, similar);
      }
    }
  }

  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < windows; ++i) {
    if (votes[i] > 0.0) starts.push_back(i);
  }
  std::stable_sort(starts.begin(), starts.end(),
                   [&](std::size_t a, std::size_t b) { return votes[a] > votes[b]; });
  return starts;
}

}  // namespace

std::string_view to_string(MatchKind kind) {
  switch (kind) {
    case MatchKind::exact:
      return "exact";
    case MatchKind::trailing_whitespace:
      return "trailing_whitespace";
    case MatchKind::indentation:
      return "indentation";
    case MatchKind::leading_blank:
      return "leading_blank";
    case MatchKind::elision:
      return "elision";
  }
  return "unknown";
}

std::optional<Replacement> replace_first(std::string_view content, std::string_view search,
                                         std::string_view replace) {
  if (search.empty()) return std::nullopt;
  // Work on whole lines: a missing final newline is added to each text, and taken off the
  // result again when the content lacked it.
  const bool content_lacks_newline = !content.empty() && content.back() != '\n';
  const std::string text = with_final_newline(content);
  const std::string search_text = with_final_newline(search);
  const std::string replace_text = with_final_newline(replace);
  LineIndex index(text);

  std::optional<Replacement> result = replace_line_rules(index, search_text, replace_text);

  if (!result) {
    // Rule 4: a spurious blank first line of the search (and of the replacement, if it has one
    // too) dropped, then rules 1 to 3 again.
    const auto search_lines = split_lines(search_text);
    if (search_lines.size() >= 2 && is_blank(search_lines.front())) {
      const std::string trimmed_search = join_lines(search_lines, 1, search_lines.size());
      const auto replace_lines = split_lines(replace_text);
      const std::string trimmed_replace = !replace_lines.empty() && is_blank(replace_lines.front())
                                              ? join_lines(replace_lines, 1, replace_lines.size())
                                              : replace_text;
      result = replace_line_rules(index, trimmed_search, trimmed_replace);
      if (result) result->kind = MatchKind::leading_blank;
    }
  }

  if (!result) {
    if (auto out = replace_elided(index, search_text, replace_text)) {
      result = Replacement{std::move(*out), MatchKind::elision};
    }
  }

  if (result && content_lacks_newline && !result->content.empty() &&
      result->content.back() == '\n') {
    result->content.pop_back();
  }
  return result;
}

bool contains_lines(std::string_view content, std::string_view lines) {
  if (lines.empty()) return false;
  LineIndex index(content);
  return find_lines(index, Key::exact, split_lines(lines)).has_value();
}

std::optional<std::string> closest_lines(std::string_view content, std::string_view search,
                                         int context) {
  const auto content_lines = split_lines(content);
  const auto search_lines = split_lines(search);
  if (content_lines.empty() || search_lines.empty()) return std::nullopt;

  std::vector<ScoredLine> file;
  file.reserve(content_lines.size());
  for (std::string_view line : content_lines)
    file.push_back(prepare(line));
  std::vector<ScoredLine> wanted;
  wanted.reserve(search_lines.size());
  for (std::string_view line : search_lines)
    wanted.push_back(prepare(line));

  // Windows of the search's line count (the whole file when it is shorter); the score is the
  // average line similarity over the search's lines, so a short file cannot score high.
  const std::size_t n = search_lines.size();
  const std::size_t window = std::min(n, file.size());
  const std::size_t windows = file.size() - window + 1;
  double best_score = -1.0;
  std::size_t best = 0;
  std::size_t compared = 0;
  const auto score = [&](std::size_t i) {
    // Each line adds at most 1, so a window stops being scored once it can no longer beat the
    // best so far nor reach the threshold.
    const double needed = std::max(best_score, k_min_similarity) * static_cast<double>(n);
    double sum = 0.0;
    for (std::size_t j = 0; j < window; ++j) {
      ++compared;
      sum += similarity(file[i + j], wanted[j]);
      if (sum + static_cast<double>(window - j - 1) < needed) break;
    }
    const double result = sum / static_cast<double>(n);
    // Ties go to the earlier window.
    if (result > best_score || (result == best_score && i < best)) {
      best_score = result;
      best = i;
    }
  };
  if (windows <= k_max_line_comparisons / window) {
    for (std::size_t i = 0; i < windows; ++i)
      score(i);
  } else {
    for (const std::size_t i : anchored_windows(file, wanted, windows)) {
      if (compared + window > k_max_line_comparisons) break;
      score(i);
    }
  }
  if (best_score < k_min_similarity) return std::nullopt;

  const std::size_t margin = static_cast<std::size_t>(std::max(context, 0));
  const std::size_t begin = best >= margin ? best - margin : 0;
  const std::size_t end = std::min(file.size(), best + window + margin);
  return join_lines(content_lines, begin, end);
}

}  // namespace edit
