#include "writeup/checks.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace writeup {

namespace {

using core::read_file;

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Extensions pdflatex includes, in the order graphicx tries them when none is given (EPS last:
// pdflatex cannot read it, it needs a conversion that shell escape would run).
constexpr const char* k_figure_extensions[] = {".pdf", ".png", ".jpg", ".jpeg", ".eps"};
// \input nesting followed at most (a file that inputs itself stops here too).
constexpr int k_max_input_depth = 8;
// What experiment::SandboxedRunner keeps of a program's output (its tail).
constexpr std::size_t k_chktex_tail_bytes = 4096;
// Names listed when a figure is missing.
constexpr std::size_t k_max_listed_figures = 12;

// chktex warnings kept, and why; every other one is a matter of style (spacing, dashes,
// ellipses, "\ " after abbreviations, intervals such as $[0, 1)$ that it takes for mismatched
// brackets) that would only make the model churn:
// 9  "`x' expected, found `y'" and 15 "No match found for `x'": kept for environments
//    (\begin{itemize} ... \end{enumerate}), dropped for single brackets (intervals);
// 16 "Mathmode still on at end of LaTeX file": a $ is missing;
// 18 straight double quotes, 32/33 wrong single quote marks, 34 mixed quotes: the PDF shows
//    the wrong glyphs.
constexpr const char* k_chktex_kept[] = {"9", "15", "16", "18", "32", "33", "34"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const std::size_t last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last + 1 - first));
}

std::string collapse_spaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : trim(s)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string item = trim(list.substr(start, comma - start));
    if (!item.empty()) items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

bool is_inside(const fs::path& path, const fs::path& folder) {
  const fs::path rel = path.lexically_normal().lexically_relative(folder.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

bool escapes_folder(const std::string& name) {
  if (name.empty()) return false;
  if (name.front() == '/' || name.front() == '~') return true;
  for (const auto& part : fs::path(name)) {
    if (part == "..") return true;
  }
  return false;
}

// Offsets of line starts in a text, to turn an offset into a 1-based line number.
class LineIndex {
 public:
  LineIndex() = default;
  explicit LineIndex(std::string_view text) {
    m_starts.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') m_starts.push_back(i + 1);
    }
  }
  int line_of(std::size_t offset) const {
    const auto it = std::upper_bound(m_starts.begin(), m_starts.end(), offset);
    return static_cast<int>(it - m_starts.begin());
  }

 private:
  std::vector<std::size_t> m_starts;
};

// A filecontents(*) environment in the .tex file: a file LaTeX writes when it compiles.
struct EmbeddedFile {
  std::string name;
  std::string text;
  int first_line = 0;  // line of the .tex file where `text` starts
};

// One LaTeX file of the paper, as the checks read it.
struct Source {
  fs::path path;
  std::string name;  // relative to the paper folder, for problems
  std::string text;  // comments and filecontents blocks blanked out, lines kept where they were
  LineIndex lines;
  std::vector<EmbeddedFile> embedded;
  // Where this file reads another of the paper's files: (offset of the \input, that source's
  // index), in the order they come.
  std::vector<std::pair<std::size_t, std::size_t>> inputs;
};

// `raw` without comments (an unescaped % to the end of its line) and with filecontents blocks
// taken out into `embedded`; every line stays on its line number.
std::string strip_source(std::string_view raw, std::vector<EmbeddedFile>& embedded) {
  static const std::regex k_begin(R"(^\s*\\begin\{filecontents\*?\}(?:\[[^\]]*\])?\{([^}]*)\})");
  static const std::regex k_end(R"(\\end\{filecontents\*?\})");
  std::string out;
  std::istringstream in{std::string(raw)};
  std::string line;
  int number = 0;
  EmbeddedFile* current = nullptr;
  while (std::getline(in, line)) {
    ++number;
    std::smatch m;
    if (current != nullptr) {
      if (std::regex_search(line, k_end)) {
        current = nullptr;
      } else {
        current->text += line + "\n";
      }
      out += '\n';
      continue;
    }
    if (std::regex_search(line, m, k_begin)) {
      embedded.push_back({trim(m[1].str()), "", number + 1});
      current = &embedded.back();
      out += '\n';
      continue;
    }
    std::size_t backslashes = 0;
    std::size_t cut = line.size();
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '%' && backslashes % 2 == 0) {
        cut = i;
        break;
      }
      backslashes = line[i] == '\\' ? backslashes + 1 : 0;
    }
    out += line.substr(0, cut);
    out += '\n';
  }
  return out;
}

// A command found in a source: \name*[opt][opt]{arg}.
struct Command {
  std::string name;
  std::string arg;
  bool has_arg = false;
  std::size_t offset = 0;
};

// The balanced {...} group starting at `pos` (which holds '{'); its content, and `pos` moved past
// it. nullopt when it never closes.
std::optional<std::string> read_group(std::string_view text, std::size_t& pos) {
  int depth = 0;
  const std::size_t start = pos;
  for (std::size_t i = pos; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
      continue;
    }
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) {
      pos = i + 1;
      return std::string(text.substr(start + 1, i - start - 1));
    }
  }
  return std::nullopt;
}

void skip_spaces(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])))
    ++pos;
}

std::vector<Command> find_commands(std::string_view text, const std::set<std::string>& names) {
  std::vector<Command> found;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') continue;
    std::size_t end = i + 1;
    while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end])))
      ++end;
    if (end == i + 1) {
      ++i;  // "\\", "\%", "\{": not a command name
      continue;
    }
    Command command{std::string(text.substr(i + 1, end - i - 1)), "", false, i};
    if (!names.contains(command.name)) {
      i = end - 1;
      continue;
    }
    std::size_t pos = end;
    if (pos < text.size() && text[pos] == '*') ++pos;
    for (int optional = 0; optional < 2; ++optional) {
      skip_spaces(text, pos);
      if (pos >= text.size() || text[pos] != '[') break;
      const std::size_t close = text.find(']', pos);
      if (close == std::string_view::npos) break;
      pos = close + 1;
    }
    skip_spaces(text, pos);
    if (pos < text.size() && text[pos] == '{') {
      if (auto arg = read_group(text, pos)) {
        command.arg = *arg;
        command.has_arg = true;
      }
    }
    found.push_back(std::move(command));
    i = end - 1;
  }
  return found;
}

// ---- BibTeX ---------------------------------------------------------------------------------

struct BibEntry {
  std::string key;
  std::string file;  // relative to the paper folder
  int line = 0;
};

// A small BibTeX reader: enough to find what BibTeX would choke on, and the keys.
class BibReader {
 public:
  BibReader(std::string_view text, std::string file, int first_line)
      : m_text(text), m_file(std::move(file)), m_first_line(first_line), m_lines(text) {}

  void read(std::vector<BibEntry>& entries, std::vector<Problem>& problems) {
    m_problems = &problems;
    std::size_t pos = 0;
    while ((pos = m_text.find('@', pos)) != std::string_view::npos) {
      const std::size_t at = pos;
      pos = entry(pos, entries);
      if (pos == std::string_view::npos) pos = next_entry_start(at + 1);
    }
  }

 private:
  int line(std::size_t offset) const { return m_first_line - 1 + m_lines.line_of(offset); }

  void problem(std::size_t offset, std::string message) {
    m_problems->push_back(
        {m_file, line(offset), std::move(message), "bibtex", Severity::error, ""});
  }

  // The next '@' that starts a line (after blanks): where to pick up after a broken entry.
  std::size_t next_entry_start(std::size_t from) const {
    for (std::size_t pos = m_text.find('@', from); pos != std::string_view::npos;
         pos = m_text.find('@', pos + 1)) {
      std::size_t before = pos;
      while (before > 0 && (m_text[before - 1] == ' ' || m_text[before - 1] == '\t'))
        --before;
      if (before == 0 || m_text[before - 1] == '\n') return pos;
    }
    return std::string_view::npos;
  }

  // The end of the {...} group opened at `pos`, or npos after reporting a brace that never
  // closes. A line starting with '@' inside the group is the next entry, and inside a field's
  // value a line starting "name =" is the next field: either way a '}' was missed.
  std::size_t skip_braces(std::size_t pos, bool field_value) {
    static const std::regex k_field_start(R"(^\s*[A-Za-z][A-Za-z0-9_-]*\s*=)");
    int depth = 0;
    for (std::size_t i = pos; i < m_text.size(); ++i) {
      const char c = m_text[i];
      if (c == '{') ++depth;
      if (c == '}' && --depth == 0) return i + 1;
      if (c == '@' && depth > 0 && next_entry_start(i) == i) {
        problem(pos, fmt::format("unbalanced braces: the '{{' opened here is not closed before "
                                 "the next entry (line {}); add the missing '}}'",
                                 line(i)));
        return std::string_view::npos;
      }
      if (c == '\n' && field_value && depth > 0) {
        const std::size_t end = m_text.find('\n', i + 1);
        const std::string next(m_text.substr(
            i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1));
        if (std::regex_search(next, k_field_start)) {
          problem(pos, fmt::format("unbalanced braces: the '{{' opened here is still open where "
                                   "the next field starts (line {}); add the missing '}}'",
                                   line(i + 1)));
          return std::string_view::npos;
        }
      }
    }
    problem(pos, "unbalanced braces: the '{' opened here is never closed; add the missing '}'");
    return std::string_view::npos;
  }

  // Reads the entry at `at` ('@'); returns where reading goes on, npos after a problem.
  std::size_t entry(std::size_t at, std::vector<BibEntry>& entries) {
    std::size_t pos = at + 1;
    while (pos < m_text.size() && std::isalpha(static_cast<unsigned char>(m_text[pos])))
      ++pos;
    const std::string type = lower(std::string(m_text.substr(at + 1, pos - at - 1)));
    if (type.empty()) return at + 1;  // a stray '@' between entries: BibTeX ignores it
    skip_spaces(m_text, pos);
    if (pos >= m_text.size() || (m_text[pos] != '{' && m_text[pos] != '(')) {
      problem(at, fmt::format("'@{}' is not followed by '{{': write @{}{{key, ...}}", type, type));
      return std::string_view::npos;
    }
    const char close = m_text[pos] == '{' ? '}' : ')';
    if (type == "comment" || type == "preamble" || type == "string") {
      if (close == ')') return m_text.find(')', pos);
      return skip_braces(pos, false);
    }
    ++pos;
    skip_spaces(m_text, pos);
    const std::size_t key_start = pos;
    while (pos < m_text.size() && m_text[pos] != ',' && m_text[pos] != close &&
           !std::isspace(static_cast<unsigned char>(m_text[pos])) && m_text[pos] != '=') {
      ++pos;
    }
    const std::string key(m_text.substr(key_start, pos - key_start));
    skip_spaces(m_text, pos);
    if (key.empty() || (pos < m_text.size() && m_text[pos] == '=')) {
      problem(at,
              fmt::format("the @{} entry has no key: its header must be @{}{{key,", type, type));
      return std::string_view::npos;
    }
    if (pos >= m_text.size() || (m_text[pos] != ',' && m_text[pos] != close)) {
      problem(at, fmt::format("entry '{}': a comma is missing after the key (@{}{{{},)", key, type,
                              key));
      return std::string_view::npos;
    }
    entries.push_back({key, m_file, line(at)});
    while (pos < m_text.size()) {
      if (m_text[pos] == close) return pos + 1;
      ++pos;  // the comma
      skip_spaces(m_text, pos);
      if (pos < m_text.size() && m_text[pos] == close) return pos + 1;
      const std::size_t name_start = pos;
      while (pos < m_text.size() &&
             (std::isalnum(static_cast<unsigned char>(m_text[pos])) ||
              std::string_view("_-:.+").find(m_text[pos]) != std::string_view::npos)) {
        ++pos;
      }
      const std::string name(m_text.substr(name_start, pos - name_start));
      if (name.empty()) {
        problem(pos, fmt::format("entry '{}': expected a field (name = {{value}}) or the closing "
                                 "'{}'",
                                 key, close));
        return std::string_view::npos;
      }
      skip_spaces(m_text, pos);
      if (pos >= m_text.size() || m_text[pos] != '=') {
        problem(pos, fmt::format("entry '{}': field '{}' has no '=' after its name", key, name));
        return std::string_view::npos;
      }
      ++pos;
      // value: parts joined by '#': {...}, "...", a number or a @string name.
      std::size_t value_end = pos;
      while (true) {
        skip_spaces(m_text, pos);
        if (pos >= m_text.size()) break;
        if (m_text[pos] == '{') {
          pos = skip_braces(pos, true);
          if (pos == std::string_view::npos) return pos;
        } else if (m_text[pos] == '"') {
          std::size_t i = pos + 1;
          int depth = 0;
          for (; i < m_text.size(); ++i) {
            if (m_text[i] == '{') ++depth;
            if (m_text[i] == '}') --depth;
            if (m_text[i] == '"' && depth == 0) break;
          }
          if (i >= m_text.size()) {
            problem(pos, fmt::format("entry '{}': the quoted value of '{}' never ends; add the "
                                     "closing '\"'",
                                     key, name));
            return std::string_view::npos;
          }
          pos = i + 1;
        } else {
          const std::size_t word = pos;
          while (pos < m_text.size() &&
                 (std::isalnum(static_cast<unsigned char>(m_text[pos])) ||
                  std::string_view("_-:.+").find(m_text[pos]) != std::string_view::npos)) {
            ++pos;
          }
          if (pos == word) {
            problem(pos, fmt::format("entry '{}': field '{}' has no value; write {} = {{...}}", key,
                                     name, name));
            return std::string_view::npos;
          }
        }
        value_end = pos;
        skip_spaces(m_text, pos);
        if (pos < m_text.size() && m_text[pos] == '#') {
          ++pos;
          continue;
        }
        break;
      }
      if (pos >= m_text.size()) {
        problem(at, fmt::format("entry '{}' never ends; add the closing '{}'", key, close));
        return std::string_view::npos;
      }
      if (m_text[pos] != ',' && m_text[pos] != close) {
        problem(value_end, fmt::format("entry '{}': a comma is missing after the value of field "
                                       "'{}'",
                                       key, name));
        return std::string_view::npos;
      }
    }
    problem(at, fmt::format("entry '{}' never ends; add the closing '{}'", key, close));
    return std::string_view::npos;
  }

  std::string_view m_text;
  std::string m_file;
  int m_first_line;
  LineIndex m_lines;
  std::vector<Problem>* m_problems = nullptr;
};

// ---- The paper --------------------------------------------------------------------------------

class PaperChecker {
 public:
  PaperChecker(const fs::path& tex_file, const CheckOptions& options)
      : m_tex(fs::absolute(tex_file).lexically_normal()),
        m_tex_dir(m_tex.parent_path()),
        m_paper(paper_folder(m_tex)),
        m_options(options) {}

  std::vector<Problem> run(core::ProcessRunner* runner) {
    if (!load(m_tex, 0)) {
      return {{relative(m_tex), 0,
               fmt::format("cannot read {}: check that it exists and is readable", m_tex.string()),
               "latex", Severity::error, ""}};
    }
    check_inputs_and_shell_escape();
    check_citations();
    check_figures();
    check_sections();
    check_labels();
    check_placeholders();
    if (m_options.chktex && runner != nullptr) run_chktex(*runner);
    return std::move(m_problems);
  }

 private:
  std::string relative(const fs::path& path) const {
    if (is_inside(path, m_paper))
      return path.lexically_normal().lexically_relative(m_paper).string();
    return path.string();
  }

  void add(const Source& source, std::size_t offset, std::string message, std::string kind,
           std::string subject = "", Severity severity = Severity::error) {
    m_problems.push_back({source.name, source.lines.line_of(offset), std::move(message),
                          std::move(kind), severity, std::move(subject)});
  }

  // Reads `path` and, depth first, the files it \input's or \include's inside the .tex folder.
  bool load(const fs::path& path, int depth) {
    const auto raw = read_file(path);
    if (!raw) return false;
    Source source;
    source.path = path;
    source.name = relative(path);
    source.text = strip_source(*raw, source.embedded);
    source.lines = LineIndex(source.text);
    const std::size_t index = m_sources.size();
    m_sources.push_back(std::move(source));
    m_loaded.insert(path);
    if (depth >= k_max_input_depth) return true;
    const auto inputs = find_commands(m_sources[index].text, {"input", "include", "subfile"});
    for (const Command& input : inputs) {
      const std::string name = trim(input.arg);
      if (!input.has_arg || name.empty() || name.front() == '|' || escapes_folder(name)) continue;
      fs::path file = m_tex_dir / name;
      if (file.extension().empty()) file += ".tex";
      file = file.lexically_normal();
      std::error_code ec;
      if (!fs::is_regular_file(file, ec)) {
        // TeX also finds it in the paper folder (TEXINPUTS); elsewhere it is a system file.
        file = (m_paper / name).lexically_normal();
        if (file.extension().empty()) file += ".tex";
        if (!fs::is_regular_file(file, ec)) continue;
      }
      if (!m_loaded.contains(file)) load(file, depth + 1);
      const auto child = std::find_if(m_sources.begin(), m_sources.end(),
                                      [&](const Source& s) { return s.path == file; });
      if (child != m_sources.end()) {
        m_sources[index].inputs.push_back(
            {input.offset, static_cast<std::size_t>(child - m_sources.begin())});
      }
    }
    return true;
  }

  // Calls `visit` for each of `names` in the order the paper reads them, going into \input
  // files where they are read (each file once).
  void in_reading_order(const std::set<std::string>& names,
                        const std::function<void(const Source&, const Command&)>& visit) const {
    std::set<std::size_t> done;
    std::function<void(std::size_t)> walk = [&](std::size_t index) {
      if (!done.insert(index).second) return;
      const Source& source = m_sources[index];
      auto next_input = source.inputs.begin();
      for (const Command& c : find_commands(source.text, names)) {
        for (; next_input != source.inputs.end() && next_input->first < c.offset; ++next_input) {
          walk(next_input->second);
        }
        visit(source, c);
      }
      for (; next_input != source.inputs.end(); ++next_input)
        walk(next_input->second);
    };
    if (!m_sources.empty()) walk(0);
  }

  void check_inputs_and_shell_escape() {
    static const std::regex k_write18(R"(\\write\s*18\b|\\(?:Delayed)?ShellEscape\b)");
    for (const Source& source : m_sources) {
      for (const Command& input :
           find_commands(source.text, {"input", "include", "InputIfFileExists", "subfile"})) {
        const std::string name = trim(input.arg);
        if (!name.empty() && name.front() == '|') {
          add(source, input.offset,
              fmt::format("\\{}{{{}}} runs a shell command (piped input): shell escape is off, "
                          "so it cannot run; remove it",
                          input.name, name),
              "shell-escape", name);
        } else if (escapes_folder(name)) {
          add(source, input.offset,
              fmt::format("\\{}{{{}}} reads a file outside the paper's LaTeX folder, which TeX "
                          "refuses (it may only read files in its folder); put the file into {}/ "
                          "or remove the line",
                          input.name, name, relative(m_tex_dir)),
              "input", name);
        }
      }
      for (auto it = std::sregex_iterator(source.text.begin(), source.text.end(), k_write18);
           it != std::sregex_iterator(); ++it) {
        add(source, static_cast<std::size_t>(it->position()),
            fmt::format("{} runs shell commands from the paper, which is not allowed (shell "
                        "escape is off, so it does nothing); remove it",
                        it->str()),
            "shell-escape", it->str());
      }
    }
  }

  // The .bib text of `name` (a \bibliography entry): an embedded filecontents block, else the
  // file beside the .tex file or in the paper folder. Returns false when there is none.
  bool read_bibliography(const Source& where, const Command& command, const std::string& name,
                         std::vector<BibEntry>& entries) {
    std::string file_name = name;
    if (!file_name.ends_with(".bib")) file_name += ".bib";
    for (const Source& source : m_sources) {
      for (const EmbeddedFile& embedded : source.embedded) {
        if (embedded.name == file_name || embedded.name == name) {
          BibReader(embedded.text, source.name, embedded.first_line).read(entries, m_problems);
          return true;
        }
      }
    }
    if (escapes_folder(file_name)) {
      add(where, command.offset,
          fmt::format("\\{}{{{}}}: BibTeX may not read a file outside the paper's folder; keep "
                      "the .bib file beside the .tex file",
                      command.name, command.arg),
          "bibtex", file_name);
      return false;
    }
    for (const fs::path& folder : {m_tex_dir, m_paper}) {
      const fs::path path = folder / file_name;
      if (const auto text = read_file(path)) {
        BibReader(*text, relative(path), 1).read(entries, m_problems);
        return true;
      }
    }
    add(where, command.offset,
        fmt::format("\\{}{{{}}}: there is no {} beside the .tex file or in the paper's folder; "
                    "create it or fix the name",
                    command.name, command.arg, file_name),
        "bibtex", file_name);
    return false;
  }

  void check_citations() {
    static const std::set<std::string> k_cite_commands = {
        "cite",     "citep",       "citet",    "citealp",   "citealt",   "citeauthor",
        "citeyear", "citeyearpar", "citenum",  "Citep",     "Citet",     "Citealp",
        "Citealt",  "Citeauthor",  "nocite",   "parencite", "Parencite", "textcite",
        "Textcite", "autocite",    "Autocite", "footcite",  "supercite", "citetitle"};
    std::vector<BibEntry> entries;
    bool complete = true;     // every named bibliography could be read
    bool has_source = false;  // some bibliography is named, or \bibitem's exist
    for (const Source& source : m_sources) {
      for (const Command& c :
           find_commands(source.text, {"bibliography", "addbibresource", "bibitem"})) {
        if (c.name == "bibitem") {
          has_source = true;
          entries.push_back({trim(c.arg), source.name, source.lines.line_of(c.offset)});
          continue;
        }
        for (const std::string& name : split_list(c.arg)) {
          has_source = true;
          if (!read_bibliography(source, c, name, entries)) complete = false;
        }
      }
    }

    std::map<std::string, const BibEntry*> first;  // BibTeX compares keys without case
    std::set<std::string> keys;
    for (const BibEntry& entry : entries) {
      keys.insert(entry.key);
      const auto [it, inserted] = first.emplace(lower(entry.key), &entry);
      if (!inserted) {
        m_problems.push_back({entry.file, entry.line,
                              fmt::format("entry key '{}' is used a second time (first at {}:{}); "
                                          "remove one entry or give it another key",
                                          entry.key, it->second->file, it->second->line),
                              "bibtex", Severity::error, entry.key});
      }
    }

    bool cited = false;
    for (const Source& source : m_sources) {
      for (const Command& c : find_commands(source.text, k_cite_commands)) {
        for (const std::string& key : split_list(c.arg)) {
          cited = true;
          if (key == "*" || !complete || !has_source || keys.contains(key)) continue;
          const auto nocase = first.find(lower(key));
          add(source, c.offset,
              nocase != first.end()
                  ? fmt::format("\\{}{{{}}}: the key differs in case from the entry '{}' at "
                                "{}:{}; keys must match exactly",
                                c.name, key, nocase->second->key, nocase->second->file,
                                nocase->second->line)
                  : fmt::format("\\{}{{{}}}: no entry '{}' in the bibliography ({}); cite a key "
                                "that is there or add its entry",
                                c.name, key, key, bib_file_name()),
              "citation", key);
        }
      }
    }
    if (cited && !has_source) {
      m_problems.push_back({relative(m_tex), 0,
                            "the paper cites but names no bibliography: add "
                            "\\bibliography{references} (with references.bib beside the .tex "
                            "file)",
                            "citation", Severity::error, ""});
    }
  }

  std::string bib_file_name() const {
    for (const Source& source : m_sources) {
      for (const Command& c : find_commands(source.text, {"bibliography", "addbibresource"})) {
        for (const std::string& name : split_list(c.arg)) {
          for (const Source& s : m_sources) {
            for (const EmbeddedFile& e : s.embedded) {
              if (e.name == name || e.name == name + ".bib") return s.name;
            }
          }
          return relative(m_tex_dir / (name.ends_with(".bib") ? name : name + ".bib"));
        }
      }
    }
    return relative(m_tex);
  }

  std::vector<fs::path> figure_folders() const {
    std::vector<fs::path> folders = {m_tex_dir};
    for (const Source& source : m_sources) {
      for (const Command& c : find_commands(source.text, {"graphicspath"})) {
        std::size_t pos = 0;
        std::string_view arg = c.arg;
        while ((pos = arg.find('{', pos)) != std::string_view::npos) {
          const auto dir = read_group(arg, pos);
          if (!dir) break;
          const std::string name = trim(*dir);
          // "../" is refused by TeX; the paper folder is searched anyway (TEXINPUTS).
          if (!name.empty() && !escapes_folder(name)) folders.push_back(m_tex_dir / name);
        }
      }
    }
    folders.push_back(m_paper);
    return folders;
  }

  std::vector<std::string> available_figures() const {
    std::set<std::string> names;
    for (const fs::path& folder : {m_paper, m_tex_dir}) {
      std::error_code ec;
      for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string ext = lower(it->path().extension().string());
        if (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".pdf") {
          names.insert(it->path().filename().string());
        }
      }
    }
    std::vector<std::string> out(names.begin(), names.end());
    if (out.size() > k_max_listed_figures) out.resize(k_max_listed_figures);
    return out;
  }

  std::optional<fs::path> find_figure(const std::string& name,
                                      const std::vector<fs::path>& folders) const {
    const std::string ext = lower(fs::path(name).extension().string());
    const bool known = std::find(std::begin(k_figure_extensions), std::end(k_figure_extensions),
                                 ext) != std::end(k_figure_extensions);
    std::error_code ec;
    for (const fs::path& folder : folders) {
      if (known || ext.empty()) {
        if (fs::is_regular_file(folder / name, ec)) return (folder / name).lexically_normal();
      }
      if (known) continue;
      for (const char* candidate : k_figure_extensions) {
        const fs::path path = folder / (name + candidate);
        if (fs::is_regular_file(path, ec)) return path.lexically_normal();
      }
    }
    return std::nullopt;
  }

  void check_figures() {
    const std::vector<fs::path> folders = figure_folders();
    std::map<fs::path, std::pair<std::string, int>> included;  // file -> where first
    in_reading_order({"includegraphics"}, [&](const Source& source, const Command& c) {
      const std::string name = trim(c.arg);
      if (!c.has_arg || name.empty()) return;
      if (escapes_folder(name)) {
        add(source, c.offset,
            fmt::format("\\includegraphics{{{}}}: TeX may not read files through '..' or an "
                        "absolute path; name the figure without a folder "
                        "(\\includegraphics{{{}}}): figures in the paper's folder are found",
                        name, fs::path(name).filename().string()),
            "figure", name);
        return;
      }
      const auto found = find_figure(name, folders);
      if (!found) {
        const auto available = available_figures();
        add(source, c.offset,
            fmt::format("\\includegraphics{{{}}}: no such figure file{}", name,
                        available.empty() ? " (there are no figures in the paper's folder)"
                                          : fmt::format("; the figures there are: {}",
                                                        fmt::join(available, ", "))),
            "figure", name);
        return;
      }
      if (lower(found->extension().string()) == ".eps") {
        add(source, c.offset,
            fmt::format("\\includegraphics{{{}}}: an EPS figure needs a conversion that runs "
                        "through shell escape, which is off; use a PDF or PNG version",
                        name),
            "figure", name);
      }
      const int line = source.lines.line_of(c.offset);
      const auto [it, inserted] = included.emplace(*found, std::make_pair(source.name, line));
      if (!inserted) {
        add(source, c.offset,
            fmt::format("figure '{}' is included a second time (first at {}:{}); show each "
                        "figure once",
                        name, it->second.first, it->second.second),
            "figure", name);
      }
    });
  }

  void check_sections() {
    std::map<std::string, std::pair<std::string, int>> sections;
    std::map<std::string, std::pair<std::string, int>> subsections;  // within the current section
    in_reading_order({"section", "subsection"}, [&](const Source& source, const Command& c) {
      if (!c.has_arg) return;
      const std::string title = collapse_spaces(c.arg);
      const int line = source.lines.line_of(c.offset);
      auto& seen = c.name == "section" ? sections : subsections;
      if (c.name == "section") subsections.clear();
      const auto [it, inserted] = seen.emplace(lower(title), std::make_pair(source.name, line));
      if (!inserted) {
        add(source, c.offset,
            fmt::format("\\{}{{{}}} appears a second time (first at {}:{}); merge the two or "
                        "rename one",
                        c.name, title, it->second.first, it->second.second),
            "section", title);
      }
    });
  }

  void check_labels() {
    static const std::set<std::string> k_ref_commands = {
        "ref",  "eqref", "autoref",  "Autoref",  "cref",      "Cref",        "pageref", "nameref",
        "vref", "Vref",  "cpageref", "Cpageref", "labelcref", "autopageref", "subref"};
    std::map<std::string, std::pair<std::string, int>> labels;
    in_reading_order({"label"}, [&](const Source& source, const Command& c) {
      const std::string key = trim(c.arg);
      if (!c.has_arg || key.empty()) return;
      const int line = source.lines.line_of(c.offset);
      const auto [it, inserted] = labels.emplace(key, std::make_pair(source.name, line));
      if (!inserted) {
        add(source, c.offset,
            fmt::format("\\label{{{}}} is defined a second time (first at {}:{}); give each "
                        "label its own name",
                        key, it->second.first, it->second.second),
            "label", key);
      }
    });
    for (const Source& source : m_sources) {
      for (const Command& c : find_commands(source.text, k_ref_commands)) {
        for (const std::string& key : split_list(c.arg)) {
          if (labels.contains(key)) continue;
          add(source, c.offset,
              fmt::format("\\{}{{{}}}: there is no \\label{{{}}} in the paper; add the label "
                          "where the thing referred to is, or refer to an existing label",
                          c.name, key, key),
              "label", key);
        }
      }
    }
  }

  void check_placeholders() {
    for (const std::string& placeholder : m_options.placeholders) {
      if (trim(placeholder).empty()) continue;
      for (const Source& source : m_sources) {
        for (std::size_t pos = source.text.find(placeholder); pos != std::string::npos;
             pos = source.text.find(placeholder, pos + placeholder.size())) {
          add(source, pos,
              fmt::format("the template's placeholder '{}' is still there; replace it with the "
                          "paper's text",
                          placeholder),
              "placeholder", placeholder);
        }
      }
    }
  }

  void run_chktex(core::ProcessRunner& runner) {
    core::ProcessSpec spec;
    spec.argv = {"chktex", "-q", "-v0", "-n", "all"};
    for (const char* number : k_chktex_kept)
      spec.argv.insert(spec.argv.end(), {"-w", number});
    spec.argv.push_back(m_tex.filename().string());
    spec.cwd = m_tex_dir;
    spec.env = std::map<std::string, std::string>{{"PATH", "/usr/local/bin:/usr/bin:/bin"},
                                                  {"LANG", "C.UTF-8"},
                                                  {"HOME", m_tex_dir.string()}};
    spec.timeout = 60s;
    const auto result = runner.run(spec);
    // chktex is an extra: not installed, or not runnable here, means this check is skipped.
    if (!result || result->timed_out || result->term_signal != 0) return;
    // A runner may keep only the end of the output (the sandbox keeps 4 KiB): a first line cut
    // short would name a file that is not there ("ate.tex"), so it goes.
    std::string_view output = result->out;
    if (result->out_truncated || output.size() >= k_chktex_tail_bytes) {
      const std::size_t newline = output.find('\n');
      output.remove_prefix(newline == std::string_view::npos ? output.size() : newline + 1);
    }
    for (Problem& p : parse_chktex_output(output, m_tex_dir, m_paper)) {
      m_problems.push_back(std::move(p));
    }
  }

  fs::path m_tex;
  fs::path m_tex_dir;
  fs::path m_paper;
  const CheckOptions& m_options;
  std::vector<Source> m_sources;
  std::set<fs::path> m_loaded;
  std::vector<Problem> m_problems;
};

}  // namespace

std::filesystem::path paper_folder(const std::filesystem::path& tex_file) {
  const fs::path folder = fs::absolute(tex_file).lexically_normal().parent_path();
  if (folder.filename() == "latex" && folder.has_parent_path()) return folder.parent_path();
  return folder;
}

std::vector<Problem> check_paper(const std::filesystem::path& tex_file, const CheckOptions& options,
                                 core::ProcessRunner* runner) {
  return PaperChecker(tex_file, options).run(runner);
}

std::vector<Problem> parse_chktex_output(std::string_view output,
                                         const std::filesystem::path& tex_dir,
                                         const std::filesystem::path& paper_dir) {
  static const std::regex k_line(R"(^(.+):(\d+):(\d+):(\d+):(.*)$)");
  static const std::regex k_pair(R"(`(.+)' expected, found `(.+)')");
  static const std::regex k_no_match(R"(No match found for `(.+)')");
  std::vector<Problem> problems;
  std::istringstream in{std::string(output)};
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, k_line)) continue;
    const std::string number = m[4].str();
    const std::string message = trim(m[5].str());
    if (std::find(std::begin(k_chktex_kept), std::end(k_chktex_kept), number) ==
        std::end(k_chktex_kept)) {
      continue;
    }
    std::smatch detail;
    if (number == "9" && (!std::regex_search(message, detail, k_pair) || detail[1].length() < 2 ||
                          detail[2].length() < 2)) {
      continue;
    }
    if (number == "15" &&
        (!std::regex_search(message, detail, k_no_match) || detail[1].length() < 2)) {
      continue;
    }
    const fs::path file = (tex_dir / m[1].str()).lexically_normal();
    // chktex follows \input wherever it points; what lies outside is not the paper's.
    if (!is_inside(file, paper_dir)) continue;
    problems.push_back({file.lexically_relative(paper_dir.lexically_normal()).string(),
                        std::stoi(m[2].str()), "chktex: " + message, "chktex", Severity::warning,
                        ""});
  }
  return problems;
}

}  // namespace writeup
