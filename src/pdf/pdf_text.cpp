#include "pdf/pdf_text.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <mutex>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

namespace pdf {

namespace {

namespace fs = std::filesystem;
using core::ErrorCode;

// A page of a paper holds thousands of letters; a scanned page holds none, or a stamp such as
// arXiv's sidebar on the first page. Below this average the text is not worth reviewing.
constexpr std::size_t k_min_letters_per_page = 50;
// The PDF header may follow some junk, but must start within the first 1024 bytes (PDF 1.7,
// implementation note 13).
constexpr std::size_t k_header_window = 1024;

// Poppler reports every oddity of a broken file on stderr; the caller gets our message instead.
void silence_poppler() {
  static std::once_flag once;
  std::call_once(
      once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The first bytes of `file`, after checking that it is a readable, non-empty regular file.
core::Result<std::string> head_of(const fs::path& file, std::size_t bytes) {
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return core::fail(ErrorCode::io, fmt::format("{}: no such file", file.string()));
  }
  if (!fs::is_regular_file(file, ec)) {
    return core::fail(ErrorCode::io,
                      fmt::format("{}: not a regular file; give the paper's file", file.string()));
  }
  const auto size = fs::file_size(file, ec);
  if (!ec && size == 0) {
    return core::fail(
        ErrorCode::invalid_argument,
        fmt::format("{}: the file is empty (0 bytes); was it written completely?", file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return core::fail(ErrorCode::io, fmt::format("{}: cannot be opened for reading; check its "
                                                 "permissions",
                                                 file.string()));
  }
  std::string head(bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(bytes));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

// The document, checked to be an unlocked PDF.
core::Result<std::unique_ptr<poppler::document>> open(const fs::path& file) {
  const std::string head = TRY(head_of(file, k_header_window));
  if (head.find("%PDF-") == std::string::npos) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("{}: not a PDF (it has no %PDF- header); give the compiled "
                                  "paper's PDF, or its .tex source",
                                  file.string()));
  }
  silence_poppler();
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(file.string()));
  if (!doc) {
    return core::fail(ErrorCode::parse,
                      fmt::format("{}: looks like a PDF but cannot be read (damaged or cut "
                                  "short); compile or download it again",
                                  file.string()));
  }
  if (doc->is_locked()) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("{}: the PDF is encrypted and needs a password to be read; "
                                  "give an unlocked copy",
                                  file.string()));
  }
  return doc;
}

bool is_ascii_letter(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}
bool is_ascii_lower(char c) {
  return std::islower(static_cast<unsigned char>(c)) != 0;
}

// Poppler gives the ligature glyphs of Type 1 fonts as U+FB00..U+FB04; search and review want the
// letters.
std::string spell_out_ligatures(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> k_ligatures[] = {
      {"\xEF\xAC\x80", "ff"},  {"\xEF\xAC\x81", "fi"},  {"\xEF\xAC\x82", "fl"},
      {"\xEF\xAC\x83", "ffi"}, {"\xEF\xAC\x84", "ffl"},
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (static_cast<unsigned char>(text[i]) == 0xEF) {
      for (const auto& [glyph, letters] : k_ligatures) {
        if (text.substr(i, glyph.size()) == glyph) {
          out += letters;
          i += glyph.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

// One page's text: lines without trailing blanks or carriage returns, no form feeds, words that
// TeX hyphenated at a line end joined. A hyphen (or soft hyphen U+00AD) between a letter and a
// line break followed by a lowercase letter is taken as such a break; "state-of-the-\nArt" and a
// dash before a number are left alone.
std::string tidy_page(std::string_view raw) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : raw) {
    if (c == '\n') {
      lines.push_back(std::move(line));
      line.clear();
    } else if (c != '\r' && c != '\f') {
      line += c;
    }
  }
  lines.push_back(std::move(line));
  for (auto& l : lines) {
    const std::size_t end = l.find_last_not_of(" \t");
    l.erase(end == std::string::npos ? 0 : end + 1);
  }

  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string current = std::move(lines[i]);
    // Joins as long as this line ends in a hyphenation and the next one continues the word.
    while (i + 1 < lines.size()) {
      std::size_t hyphen_bytes = 0;
      if (current.size() >= 2 && current.back() == '-' &&
          is_ascii_letter(current[current.size() - 2])) {
        hyphen_bytes = 1;
      } else if (current.size() >= 3 && current.ends_with("\xC2\xAD") &&
                 is_ascii_letter(current[current.size() - 3])) {
        hyphen_bytes = 2;
      }
      const std::string& next = lines[i + 1];
      const std::size_t start = next.find_first_not_of(" \t");
      if (hyphen_bytes == 0 || start == std::string::npos || !is_ascii_lower(next[start])) break;
      current.resize(current.size() - hyphen_bytes);
      // The rest of the word stays on this line; the rest of the next line follows it.
      current += next.substr(start);
      ++i;
    }
    out += current;
    out += '\n';
  }
  // No blank lines at the ends: the caller separates pages with exactly one.
  const std::size_t first = out.find_first_not_of(" \t\n");
  if (first == std::string::npos) return "";
  const std::size_t last = out.find_last_not_of(" \t\n");
  return out.substr(first, last + 1 - first);
}

std::size_t count_letters(std::string_view text) {
  // UTF-8 lead bytes of letters outside ASCII count too: a paper in another script is text.
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || u >= 0xC2;
  }));
}

}  // namespace

core::Result<int> page_count(const std::filesystem::path& pdf) {
  auto doc = TRY(open(pdf));
  return doc->pages();
}

core::Result<std::string> read_text(const std::filesystem::path& pdf, const TextOptions& options) {
  auto doc = TRY(open(pdf));
  const int total = doc->pages();
  const int pages = options.max_pages > 0 ? std::min(total, options.max_pages) : total;
  std::string text;
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;
    const poppler::byte_array utf8 =
        page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout).to_utf8();
    const std::string tidy =
        tidy_page(spell_out_ligatures(std::string_view(utf8.data(), utf8.size())));
    if (tidy.empty()) continue;
    if (!text.empty()) text += "\n\n";
    text += tidy;
  }
  if (pages == 0 ||
      count_letters(text) < k_min_letters_per_page * static_cast<std::size_t>(pages)) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("{}: almost no text in {} page(s) ({} letters): it looks like a "
                                  "scanned paper (pages as images), which cannot be read without "
                                  "OCR; give a PDF with a text layer or the paper's .tex source",
                                  pdf.string(), pages, count_letters(text)));
  }
  text += '\n';
  return text;
}

core::Result<std::string> read_paper(const std::filesystem::path& file,
                                     const TextOptions& options) {
  const std::string ext = lower(file.extension().string());
  if (ext == ".pdf") return read_text(file, options);
  if (ext != ".tex" && ext != ".md" && ext != ".txt") {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("{}: cannot read a paper from a '{}' file; give a .pdf, .tex, "
                                  ".md or .txt file",
                                  file.string(), ext.empty() ? "(no extension)" : ext));
  }
  TRY(head_of(file, 1));
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return core::fail(ErrorCode::io, fmt::format("{}: reading failed", file.string()));
  }
  return text;
}

}  // namespace pdf
