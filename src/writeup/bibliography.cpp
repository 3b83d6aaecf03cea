#include "writeup/bibliography.h"

#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "literature/bibtex.h"

namespace writeup {
namespace {

// Lowercase letters and digits only, so "Attention Is All You Need" and "{Attention} is all you
// need." are the same paper.
std::string normalise(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::vector<std::string> identities(const core::Paper& p) {
  std::vector<std::string> out;
  if (!p.doi.empty()) out.push_back("doi:" + normalise(p.doi));
  if (!p.arxiv_id.empty()) out.push_back("arxiv:" + normalise(p.arxiv_id));
  if (!p.s2_id.empty()) out.push_back("s2:" + p.s2_id);
  if (std::string t = normalise(p.title); t.size() >= 8) out.push_back("title:" + t);
  return out;
}

// The entry with its header key replaced by `key`.
std::string rekey(const std::string& entry, const std::string& key) {
  static const std::regex header(R"(^\s*(@\w+\s*\{)\s*[^,\s]*\s*,)");
  std::smatch m;
  if (!std::regex_search(entry, m, header)) return {};
  return m.prefix().str() + m[1].str() + key + "," + m.suffix().str();
}

}  // namespace

core::Result<Bibliography> Bibliography::load(const std::filesystem::path& path) {
  Bibliography bib;
  bib.m_path = path;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return core::fail(core::ErrorCode::io, fmt::format("cannot read {}", path.string()));
    }
    std::ostringstream s;
    s << in.rdbuf();
    bib.m_text = s.str();
  }
  static const std::regex key_re(R"(@\w+\s*\{\s*([^,\s]+)\s*,)");
  for (auto it = std::sregex_iterator(bib.m_text.begin(), bib.m_text.end(), key_re);
       it != std::sregex_iterator(); ++it) {
    bib.m_keys.insert((*it)[1].str());
  }
  static const std::regex field_re(R"((title|doi|eprint)\s*=\s*[{"]+([^}"]*))", std::regex::icase);
  for (auto it = std::sregex_iterator(bib.m_text.begin(), bib.m_text.end(), field_re);
       it != std::sregex_iterator(); ++it) {
    std::string name = normalise((*it)[1].str());
    std::string value = normalise((*it)[2].str());
    if (name == "title" && value.size() >= 8) bib.m_identities.insert("title:" + value);
    if (name == "doi" && !value.empty()) bib.m_identities.insert("doi:" + value);
    if (name == "eprint" && !value.empty()) bib.m_identities.insert("arxiv:" + value);
  }
  return bib;
}

std::string Bibliography::add(const core::Paper& paper) {
  const auto ids = identities(paper);
  for (const auto& id : ids) {
    if (!m_identities.contains(id)) continue;
    // Already cited: find the key of the entry that holds this identity. Titles are the common
    // case; search entry by entry.
    static const std::regex entry_re(R"(@\w+\s*\{\s*([^,\s]+)\s*,([^@]*))");
    for (auto it = std::sregex_iterator(m_text.begin(), m_text.end(), entry_re);
         it != std::sregex_iterator(); ++it) {
      const std::string body = normalise((*it)[2].str());
      const std::string value = id.substr(id.find(':') + 1);
      if (body.find(value) != std::string::npos) return (*it)[1].str();
    }
  }
  const std::string base = literature::bibtex_key(paper);
  std::string key = base;
  for (char suffix = 'b'; m_keys.contains(key); ++suffix) {
    key = suffix <= 'z' ? base + suffix : fmt::format("{}{}", base, m_keys.size());
  }
  std::string entry = paper.bibtex.empty() ? std::string() : rekey(paper.bibtex, key);
  // A source's entry that cannot be re-keyed is replaced by one built from the metadata.
  if (entry.empty()) entry = literature::bibtex_from_metadata(paper, key);
  if (!entry.ends_with('\n')) entry += '\n';
  if (!m_text.empty() && !m_text.ends_with("\n\n"))
    m_text += m_text.ends_with('\n') ? "\n" : "\n\n";
  m_text += entry;
  m_keys.insert(key);
  for (const auto& id : ids)
    m_identities.insert(id);
  return key;
}

core::Result<void> Bibliography::save() const {
  std::error_code ec;
  std::filesystem::create_directories(m_path.parent_path(), ec);
  const auto tmp = m_path.parent_path() / ("." + m_path.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << m_text;
    if (!out.flush()) {
      return core::fail(core::ErrorCode::io, fmt::format("cannot write {}", tmp.string()));
    }
  }
  std::filesystem::rename(tmp, m_path, ec);
  if (ec) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot replace {}: {}", m_path.string(), ec.message()));
  }
  return {};
}

std::filesystem::path bibliography_path(const std::filesystem::path& tex_file,
                                        std::string_view tex_source) {
  // Comments dropped first: a line's text from an unescaped % on.
  std::string source;
  std::istringstream lines{std::string(tex_source)};
  for (std::string line; std::getline(lines, line);) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '%' && (i == 0 || line[i - 1] != '\\')) {
        line.resize(i);
        break;
      }
    }
    source += line + '\n';
  }
  static const std::regex bib_re(R"(\\bibliography\s*\{\s*([^,}\s]+))");
  std::smatch m;
  std::string name = "references";
  if (std::regex_search(source, m, bib_re)) name = m[1].str();
  if (!name.ends_with(".bib")) name += ".bib";
  return tex_file.parent_path() / name;
}

}  // namespace writeup
