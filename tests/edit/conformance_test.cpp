// Conformance with aider's SEARCH/REPLACE parser on aider's own golden chat history.
//
// ../shared/conformance/aider/README.md describes how aider's tests/basic/test_find_or_blocks.py
// turns chat-history.md into chat-history-search-replace-gold.txt. This test does the same with
// parse_diff_blocks and compares, section by section: every SEARCH/REPLACE block (file, search
// text, replace text, in order), every shell block, and which sections fail to parse (and with
// which of aider's two "Expected ..." errors).

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edit/blocks.h"

namespace {

const std::filesystem::path k_data_dir = AI_SCIENTIST_SOURCE_DIR "/../shared/conformance/aider";
const std::string k_marker(20, '@');

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Python reads the history with universal newlines: "\r\n" and "\r" become "\n".
std::string universal_newlines(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out += text[i];
    } else {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    }
  }
  return out;
}

bool is_ascii_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Length of a str.splitlines() line break at text[pos] (after universal newlines), or 0.
size_t line_break(std::string_view text, size_t pos) {
  const auto at = [&](size_t k) {
    return pos + k < text.size() ? static_cast<unsigned char>(text[pos + k]) : 0;
  };
  const unsigned char c = at(0);
  if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) return 1;
  if (c == 0xc2 && at(1) == 0x85) return 2;
  if (c == 0xe2 && at(1) == 0x80 && (at(2) == 0xa8 || at(2) == 0xa9)) return 3;
  return 0;
}

// One section of the gold output (or ours): a header and what aider printed for it.
struct Block {
  std::string file, search, replace;
  bool operator==(const Block&) const = default;
};

struct Section {
  std::string header;
  bool error = false;
  std::string error_text;  // gold: aider's "^^^ ..." message; ours: our message
  std::vector<Block> edits;
  std::vector<std::string> shells;
};

// Step 1-4 of the README, with our parser.
std::vector<Section> run_our_parser(const std::string& history) {
  // Split before every "####" followed by whitespace: re.split(r"(?=####\s)", content).
  std::vector<size_t> cuts = {0};
  for (size_t pos = history.find("####"); pos != std::string::npos;
       pos = history.find("####", pos + 1)) {
    if (pos > 0 && pos + 4 < history.size() && is_ascii_space(history[pos + 4])) {
      cuts.push_back(pos);
    }
  }
  cuts.push_back(history.size());

  // aider's all_fences[1:] + all_fences[:1]: the first whose opening follows a newline wins,
  // three backticks otherwise.
  const std::array<edit::Fence, 7> fences = {{
      {"````", "````"},
      {"<source>", "</source>"},
      {"<code>", "</code>"},
      {"<pre>", "</pre>"},
      {"<codeblock>", "</codeblock>"},
      {"<sourcecode>", "</sourcecode>"},
      {"```", "```"},
  }};

  std::vector<Section> sections;
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    const std::string_view section =
        std::string_view(history).substr(cuts[k], cuts[k + 1] - cuts[k]);
    if (section.find("editblock_coder.py") != std::string_view::npos ||
        section.find("test_editblock.py") != std::string_view::npos) {
      continue;
    }
    if (strip(section).empty()) continue;

    Section out;
    out.header = std::string(strip(section.substr(0, section.find('\n'))));
    std::string_view body;
    for (size_t pos = 0; pos < section.size(); ++pos) {
      if (const size_t n = line_break(section, pos)) {
        body = section.substr(pos + n);
        break;
      }
    }
    edit::Fence fence = fences.back();
    for (const edit::Fence& candidate : fences) {
      if (body.find("\n" + candidate.open) != std::string_view::npos) {
        fence = candidate;
        break;
      }
    }

    const auto parsed = edit::parse_diff_blocks(body, fence);
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, core::ErrorCode::parse);
      out.error = true;
      out.error_text = parsed.error().message;
      sections.push_back(std::move(out));
      continue;
    }
    if (parsed->edits.empty() && parsed->shell_blocks.empty()) continue;
    for (const edit::EditBlock& block : parsed->edits) {
      out.edits.push_back({block.path, block.search, block.replace});
    }
    out.shells = parsed->shell_blocks;
    sections.push_back(std::move(out));
  }
  return sections;
}

// Reads the gold file. Its markers are unambiguous because chat-history.md never contains "@@@":
// every "@@@ " line in the gold file was printed by aider's test.
class GoldReader {
 public:
  explicit GoldReader(std::string text) : m_text(std::move(text)) {}

  std::vector<Section> read() {
    std::vector<Section> sections;
    while (m_pos < m_text.size()) {
      Section section;
      section.header = expect_marker_line("\n\n@@@ ");
      while (m_pos < m_text.size() && !at("\n\n@@@ ")) {
        if (at("@@@ SEARCH: ")) {
          Block block;
          block.file = expect_marker_line("@@@ SEARCH: ");
          block.search = until(k_marker + "\n");
          block.replace = until("@@@ REPLACE " + k_marker + "\n");
          section.edits.push_back(std::move(block));
        } else if (at("@@@ SHELL " + k_marker + "\n")) {
          m_pos += std::string("@@@ SHELL \n").size() + k_marker.size();
          section.shells.push_back(until("@@@ ENDSHELL " + k_marker + "\n"));
        } else {
          // A parse error: the body up to the error, then "\n^^^ <message>\n".
          const size_t end = std::min(m_text.find("\n\n@@@ ", m_pos), m_text.size());
          const std::string_view error = std::string_view(m_text).substr(m_pos, end - m_pos);
          const size_t caret = error.rfind("\n^^^ ");
          section.error = true;
          if (caret != std::string_view::npos) {
            section.error_text = std::string(strip(error.substr(caret + 5)));
          }
          m_pos = end;
        }
      }
      sections.push_back(std::move(section));
    }
    return sections;
  }

 private:
  bool at(std::string_view s) const {
    return std::string_view(m_text).substr(m_pos).starts_with(s);
  }

  // "<prefix><text> @@@@@@@@@@@@@@@@@@@@\n": returns <text>.
  std::string expect_marker_line(std::string_view prefix) {
    if (!at(prefix)) throw std::runtime_error("gold file: expected '" + std::string(prefix) + "'");
    m_pos += prefix.size();
    const std::string end = " " + k_marker + "\n";
    const size_t close = m_text.find(end, m_pos);
    std::string text = m_text.substr(m_pos, close - m_pos);
    m_pos = close + end.size();
    return text;
  }

  // The text up to `terminator` at the start of a line (or at the current position).
  std::string until(const std::string& terminator) {
    size_t close = at(terminator) ? m_pos : m_text.find("\n" + terminator, m_pos);
    if (close == std::string::npos) throw std::runtime_error("gold file: no " + terminator);
    if (close != m_pos) ++close;  // keep the '\n' that ends the text
    std::string text = m_text.substr(m_pos, close - m_pos);
    m_pos = close + terminator.size();
    return text;
  }

  std::string m_text;
  size_t m_pos = 0;
};

// Sections keyed by header and occurrence (a header can repeat), in order.
std::map<std::pair<std::string, int>, const Section*> by_header(const std::vector<Section>& all) {
  std::map<std::pair<std::string, int>, const Section*> keyed;
  std::map<std::string, int> seen;
  for (const Section& section : all)
    keyed[{section.header, seen[section.header]++}] = &section;
  return keyed;
}

std::string excerpt(std::string_view text) {
  return std::string(text.substr(0, 300)) + (text.size() > 300 ? "..." : "");
}

TEST(AiderConformance, GoldenChatHistoryParsesLikeAider) {
  if (!std::filesystem::exists(k_data_dir / "chat-history.md") ||
      !std::filesystem::exists(k_data_dir / "chat-history-search-replace-gold.txt")) {
    GTEST_SKIP() << "aider conformance data not found in " << k_data_dir.string()
                 << " (chat-history.md and chat-history-search-replace-gold.txt from aider's "
                    "tests/fixtures); skipping the conformance check";
  }
  const std::vector<Section> ours =
      run_our_parser(universal_newlines(read_file(k_data_dir / "chat-history.md")));
  const std::vector<Section> gold =
      GoldReader(read_file(k_data_dir / "chat-history-search-replace-gold.txt")).read();

  int gold_blocks = 0, our_blocks = 0, blocks_agree = 0;
  int gold_shells = 0, our_shells = 0, shells_agree = 0;
  int gold_errors = 0, our_errors = 0, errors_agree = 0;
  for (const Section& s : gold) {
    gold_blocks += static_cast<int>(s.edits.size());
    gold_shells += static_cast<int>(s.shells.size());
    gold_errors += s.error ? 1 : 0;
  }
  for (const Section& s : ours) {
    our_blocks += static_cast<int>(s.edits.size());
    our_shells += static_cast<int>(s.shells.size());
    our_errors += s.error ? 1 : 0;
  }

  const auto our_sections = by_header(ours);
  const auto gold_sections = by_header(gold);
  int reported = 0;
  const auto report = [&](const std::string& what) {
    if (++reported <= 20) ADD_FAILURE() << what;
  };
  for (const auto& [key, g] : gold_sections) {
    const auto found = our_sections.find(key);
    if (found == our_sections.end()) {
      report("section '" + key.first + "': aider found blocks or an error, we found nothing");
      continue;
    }
    const Section& o = *found->second;
    if (g->error || o.error) {
      if (g->error && o.error && o.error_text.find(g->error_text) != std::string::npos) {
        ++errors_agree;
      } else {
        report("section '" + key.first + "': aider " +
               (g->error ? "failed with '" + g->error_text + "'" : "parsed it") + ", we " +
               (o.error ? "failed with '" + excerpt(o.error_text) + "'" : "parsed it"));
      }
      continue;
    }
    for (size_t k = 0; k < g->edits.size(); ++k) {
      if (k < o.edits.size() && o.edits[k] == g->edits[k]) {
        ++blocks_agree;
      } else if (k < o.edits.size()) {
        report("section '" + key.first + "' block " + std::to_string(k + 1) + ": aider " +
               g->edits[k].file + " / '" + excerpt(g->edits[k].search) + "' -> '" +
               excerpt(g->edits[k].replace) + "', we " + o.edits[k].file + " / '" +
               excerpt(o.edits[k].search) + "' -> '" + excerpt(o.edits[k].replace) + "'");
      } else {
        report("section '" + key.first + "': we lack block " + std::to_string(k + 1));
      }
    }
    if (o.edits.size() > g->edits.size()) {
      report("section '" + key.first + "': we found " +
             std::to_string(o.edits.size() - g->edits.size()) + " extra blocks");
    }
    for (size_t k = 0; k < g->shells.size(); ++k) {
      if (k < o.shells.size() && o.shells[k] == g->shells[k]) {
        ++shells_agree;
      } else {
        report("section '" + key.first + "': shell block " + std::to_string(k + 1) + " differs");
      }
    }
    if (o.shells.size() > g->shells.size()) {
      report("section '" + key.first + "': we found extra shell blocks");
    }
  }
  for (const auto& [key, o] : our_sections) {
    if (!gold_sections.contains(key)) {
      report("section '" + key.first + "': we found " + std::to_string(o->edits.size()) +
             " blocks / an error where aider found nothing");
    }
  }

  std::cout << "aider conformance: sections with output " << ours.size() << " (aider "
            << gold.size() << ")\n"
            << "  SEARCH/REPLACE blocks agreeing: " << blocks_agree << "/" << gold_blocks
            << " (we found " << our_blocks << ")\n"
            << "  shell blocks agreeing: " << shells_agree << "/" << gold_shells << " (we found "
            << our_shells << ")\n"
            << "  parse errors agreeing: " << errors_agree << "/" << gold_errors << " (we found "
            << our_errors << ")\n";
  RecordProperty("blocks_agree", blocks_agree);
  RecordProperty("blocks_gold", gold_blocks);
  RecordProperty("shells_agree", shells_agree);
  RecordProperty("errors_agree", errors_agree);

  EXPECT_EQ(gold_blocks, 577) << "the gold file is not the one this test was written for";
  EXPECT_EQ(blocks_agree, gold_blocks);
  EXPECT_EQ(our_blocks, gold_blocks);
  EXPECT_EQ(shells_agree, gold_shells);
  EXPECT_EQ(our_shells, gold_shells);
  EXPECT_EQ(errors_agree, gold_errors);
  EXPECT_EQ(our_errors, gold_errors);
  EXPECT_EQ(ours.size(), gold.size());
}

}  // namespace
