#include "literature/bibtex.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace literature {

namespace {

// Base ASCII letter for U+00C0..U+00FF ('\0': none).
constexpr std::string_view kLatin1Fold(
    "AAAAAAACEEEEIIII"     // C0-CF
    "DNOOOOO\0OUUUUY\0s"   // D0-DF (D7 multiplication sign, DE thorn)
    "aaaaaaaceeeeiiii"     // E0-EF
    "dnooooo\0ouuuuy\0y",  // F0-FF
    64);

// Lowercase ASCII letters and digits of `text`, accented Latin-1/Latin Extended-A letters
// folded to their base letter; everything else dropped.
std::string ascii_fold(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence.
    int len = (c >= 0xF0) ? 4 : (c >= 0xE0) ? 3 : (c >= 0xC0) ? 2 : 1;
    uint32_t cp = 0;
    if (len == 2 && i + 1 < text.size()) {
      cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3F);
    }
    if (cp >= 0xC0 && cp <= 0xFF) {
      const char base = kLatin1Fold[cp - 0xC0];
      if (base != '\0') out += static_cast<char>(std::tolower(static_cast<unsigned char>(base)));
      if (cp == 0xDF) out += 's';  // ß -> ss
    } else if (cp >= 0x100 && cp <= 0x17F) {
      // Latin Extended-A: pairs of upper/lower case of a few base letters.
      static constexpr std::string_view kExtA =
          "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllll"
          "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
      const size_t index = cp - 0x100;
      if (index < kExtA.size()) out += kExtA[index];
    }
    i += static_cast<size_t>(len);
  }
  return out;
}

bool is_article(std::string_view word) {
  return word == "a" || word == "an" || word == "the";
}

std::string family_name(std::string_view author) {
  // "Given Family": the last whitespace-separated word; "Family, Given": the part before ','.
  const auto comma = author.find(',');
  if (comma != std::string_view::npos) return std::string(author.substr(0, comma));
  while (!author.empty() && author.back() == ' ')
    author.remove_suffix(1);
  const auto space = author.rfind(' ');
  return std::string(space == std::string_view::npos ? author : author.substr(space + 1));
}

bool looks_like_conference(std::string_view venue) {
  std::string lower(venue);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::array<std::string_view, 15> kMarkers = {
      "conference", "proceedings", "workshop", "symposium", "neural information processing systems",
      "neurips",    "nips",        "icml",     "iclr",      "cvpr",
      "iccv",       "eccv",        "aaai",     "ijcai",     "acl"};
  for (auto marker : kMarkers) {
    const auto at = lower.find(marker);
    if (at == std::string::npos) continue;
    // Short acronyms must stand alone ("acl" not inside "oracle").
    const bool left = at == 0 || !std::isalpha(static_cast<unsigned char>(lower[at - 1]));
    const size_t end = at + marker.size();
    const bool right = end >= lower.size() || !std::isalpha(static_cast<unsigned char>(lower[end]));
    if (marker.size() > 5 || (left && right)) return true;
  }
  return false;
}

void field(std::string& out, std::string_view name, std::string_view value, bool double_braces) {
  if (value.empty()) return;
  out += fmt::format("  {} = {}{}{},\n", name, double_braces ? "{{" : "{", value,
                     double_braces ? "}}" : "}");
}

}  // namespace

std::string bibtex_key(const core::Paper& paper) {
  std::string key;
  if (!paper.authors.empty()) key += ascii_fold(family_name(paper.authors.front()));
  if (paper.year) key += std::to_string(*paper.year);
  // First title word that is not an article and has letters or digits left after folding.
  std::string_view title = paper.title;
  size_t pos = 0;
  while (pos < title.size()) {
    const size_t start = title.find_first_not_of(" \t\n-:", pos);
    if (start == std::string_view::npos) break;
    size_t end = title.find_first_of(" \t\n-:", start);
    if (end == std::string_view::npos) end = title.size();
    const std::string word = ascii_fold(title.substr(start, end - start));
    pos = end;
    if (word.empty() || is_article(word)) continue;
    key += word;
    break;
  }
  return key.empty() ? "paper" : key;
}

std::string bibtex_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '{':
      case '}':
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
        out += '\\';
        out += c;
        break;
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string bibtex_from_metadata(const core::Paper& paper, std::string key) {
  if (key.empty()) key = bibtex_key(paper);
  std::string type = "misc";
  std::string_view venue_field;
  if (!paper.venue.empty()) {
    if (looks_like_conference(paper.venue)) {
      type = "inproceedings";
      venue_field = "booktitle";
    } else {
      type = "article";
      venue_field = "journal";
    }
  }
  std::string authors;
  for (const auto& author : paper.authors) {
    if (author.empty()) continue;
    if (!authors.empty()) authors += " and ";
    authors += bibtex_escape(author);
  }
  std::string out = fmt::format("@{}{{{},\n", type, key);
  field(out, "author", authors, false);
  field(out, "title", bibtex_escape(paper.title), true);
  if (!venue_field.empty()) field(out, venue_field, bibtex_escape(paper.venue), false);
  if (paper.year) field(out, "year", std::to_string(*paper.year), false);
  field(out, "doi", bibtex_escape(paper.doi), false);
  if (!paper.arxiv_id.empty()) {
    field(out, "eprint", bibtex_escape(paper.arxiv_id), false);
    field(out, "archivePrefix", "arXiv", false);
  }
  field(out, "url", paper.url, false);
  // Drop the last field's comma.
  if (out.size() >= 2 && out[out.size() - 2] == ',') out.erase(out.size() - 2, 1);
  out += "}\n";
  return out;
}

}  // namespace literature
