#include "writeup/latex_log.h"

#include <cctype>
#include <optional>
#include <regex>
#include <string>

#include <fmt/format.h>

namespace writeup {

namespace {

// TeX breaks log lines at max_print_line characters (79 unless configured otherwise).
constexpr std::size_t k_tex_wrap = 79;
// How much of the source line TeX showed at an error is quoted in the problem.
constexpr std::size_t k_near_chars = 60;
// How far below an error its "l.N" context line may be.
constexpr std::size_t k_context_lines = 30;

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

// The log's lines with TeX's hard wraps undone: a line of exactly 79 characters continues on the
// next one. A log with longer lines was written with a larger max_print_line and is left alone;
// only the banner on the first line, and TeX's memory statistics (80), pass 79 in a wrapped log.
std::vector<std::string> unwrapped_lines(std::string_view log) {
  std::vector<std::string> raw = split_lines(log);
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if (raw[i].size() > k_tex_wrap + 1) return raw;
  }
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string line = std::move(raw[i]);
    while (line.size() % k_tex_wrap == 0 && !line.empty() && i + 1 < raw.size()) {
      line += raw[++i];
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string trim(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  const std::size_t last = s.find_last_not_of(" \t");
  return std::string(s.substr(first, last + 1 - first));
}

std::string without_dot_slash(std::string file) {
  while (file.starts_with("./"))
    file.erase(0, 2);
  return file;
}

// Whether the text after a "(" in the log names a file TeX opened: a path with an extension.
bool looks_like_file(const std::string& token) {
  if (token.empty()) return false;
  const char first = token.front();
  if (!(first == '.' || first == '/' || std::isalnum(static_cast<unsigned char>(first)))) {
    return false;
  }
  const std::size_t dot = token.rfind('.');
  if (dot == std::string::npos || dot + 1 >= token.size() || token.size() - dot > 9) return false;
  for (std::size_t i = dot + 1; i < token.size(); ++i) {
    if (!std::isalnum(static_cast<unsigned char>(token[i]))) return false;
  }
  const std::size_t slash = token.rfind('/');
  return slash == std::string::npos || slash < dot;
}

// The files TeX has open, from the log's "(file" ... ")" nesting. Parentheses that do not open a
// file are pushed as empty entries so that their ")" pops them.
class FileStack {
 public:
  void scan(const std::string& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '(') {
        std::size_t end = i + 1;
        while (end < line.size() && line[end] != ' ' && line[end] != '(' && line[end] != ')') {
          ++end;
        }
        const std::string token = line.substr(i + 1, end - i - 1);
        m_stack.push_back(looks_like_file(token) ? token : "");
      } else if (line[i] == ')' && !m_stack.empty()) {
        m_stack.pop_back();
      }
    }
  }

  // The innermost .tex file open (a warning about the text comes from one), else the innermost
  // file of any kind.
  std::string current() const {
    for (auto it = m_stack.rbegin(); it != m_stack.rend(); ++it) {
      if (it->ends_with(".tex") || it->ends_with(".TEX")) return without_dot_slash(*it);
    }
    for (auto it = m_stack.rbegin(); it != m_stack.rend(); ++it) {
      if (!it->empty()) return without_dot_slash(*it);
    }
    return "";
  }

 private:
  std::vector<std::string> m_stack;
};

int to_int(const std::string& digits) {
  try {
    return std::stoi(digits);
  } catch (const std::exception&) {
    return 0;
  }
}

struct Context {
  int line = 0;
  std::string near;
};

// Errors that only repeat the one before them, or say that TeX gave up.
bool is_echo_of_earlier_error(const std::string& message) {
  return message.starts_with("Emergency stop") || message.starts_with("==> Fatal error occurred") ||
         message.starts_with(" ==> Fatal error occurred") || message.starts_with("Interruption") ||
         message.starts_with("Job aborted");
}

// The "l.N text" line TeX prints below an error: where it was and what it had read. A missing
// file stops TeX in nonstop mode with "! LaTeX Error: File `x' not found." followed by
// "./file.tex:N: Emergency stop.", which then gives the line.
Context error_context(const std::vector<std::string>& lines, std::size_t error_index) {
  static const std::regex k_context(R"(^l\.(\d+) (.*)$)");
  static const std::regex k_file_line(R"(^[^\s:][^:]*\.[A-Za-z0-9]+:(\d+): (.*)$)");
  Context context;
  for (std::size_t i = error_index + 1; i < lines.size() && i <= error_index + k_context_lines;
       ++i) {
    std::smatch m;
    if (lines[i].starts_with("! ")) break;
    if (std::regex_match(lines[i], m, k_file_line)) {
      if (!is_echo_of_earlier_error(m[2].str())) break;
      if (context.line == 0) context.line = to_int(m[1].str());
      continue;
    }
    if (std::regex_match(lines[i], m, k_context)) {
      std::string near = trim(m[2].str());
      if (near.size() > k_near_chars) near = "..." + near.substr(near.size() - k_near_chars);
      return {to_int(m[1].str()), near};
    }
  }
  return context;
}

std::string with_near(std::string message, const std::string& near) {
  if (near.empty()) return message;
  return fmt::format("{} (near \"{}\")", message, near);
}

}  // namespace

std::string format_problem(const Problem& problem) {
  std::string out;
  if (!problem.file.empty()) {
    out = problem.line > 0 ? fmt::format("{}:{}: ", problem.file, problem.line)
                           : fmt::format("{}: ", problem.file);
  }
  out += problem.message;
  if (problem.severity == Severity::warning) out += " (warning)";
  return out;
}

std::vector<Problem> parse_latex_log(std::string_view log) {
  static const std::regex k_file_line_error(R"(^([^\s:][^:]*\.[A-Za-z0-9]+):(\d+): (.*)$)");
  static const std::regex k_citation(
      R"(Warning: Citation [`']([^']*)' (?:on page \S+ )?undefined(?: on input line (\d+))?)");
  static const std::regex k_reference(
      R"(Warning: Reference [`']([^']*)' on page \S+ undefined(?: on input line (\d+))?)");
  static const std::regex k_multiply_defined(R"(Warning: Label [`']([^']*)' multiply defined)");
  static const std::regex k_runsystem(R"(runsystem\((.*)\)\.\.\.(disabled|executed))");

  const std::vector<std::string> lines = unwrapped_lines(log);
  std::vector<Problem> problems;
  FileStack files;
  // Below an error, TeX quotes the source (unbalanced parentheses and all) until a blank line;
  // none of that opens or closes files.
  bool in_error_block = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) {
      in_error_block = false;
      continue;
    }
    std::smatch m;
    if (std::regex_match(line, m, k_file_line_error)) {
      in_error_block = true;
      const std::string message = m[3].str();
      if (is_echo_of_earlier_error(message)) continue;
      const Context context = error_context(lines, i);
      problems.push_back({without_dot_slash(m[1].str()), to_int(m[2].str()),
                          with_near(message, context.near), "latex", Severity::error, ""});
      continue;
    }
    if (line.starts_with("! ")) {
      in_error_block = true;
      const std::string message = line.substr(2);
      if (is_echo_of_earlier_error(message)) continue;
      const Context context = error_context(lines, i);
      problems.push_back({files.current(), context.line, with_near(message, context.near), "latex",
                          Severity::error, ""});
      continue;
    }
    if (std::regex_search(line, m, k_citation)) {
      problems.push_back({files.current(), m[2].matched ? to_int(m[2].str()) : 0,
                          fmt::format("citation '{}' is undefined: no entry with this key in the "
                                      "bibliography",
                                      m[1].str()),
                          "undefined-citation", Severity::error, m[1].str()});
      continue;
    }
    if (std::regex_search(line, m, k_reference)) {
      problems.push_back({files.current(), m[2].matched ? to_int(m[2].str()) : 0,
                          fmt::format("reference '{}' is undefined: no \\label{{{}}} in the paper",
                                      m[1].str(), m[1].str()),
                          "undefined-reference", Severity::error, m[1].str()});
      continue;
    }
    if (std::regex_search(line, m, k_multiply_defined)) {
      // cleveref defines a shadow label "x@cref" for every "x": one problem is enough.
      if (!m[1].str().ends_with("@cref")) {
        problems.push_back({files.current(), 0,
                            fmt::format("label '{}' is defined more than once; give each \\label "
                                        "its own name",
                                        m[1].str()),
                            "label", Severity::error, m[1].str()});
      }
      continue;
    }
    if (std::regex_search(line, m, k_runsystem)) {
      const bool ran = m[2].str() == "executed";
      problems.push_back(
          {files.current(), 0,
           fmt::format("the paper runs the shell command `{}` (\\write18): {}; remove it",
                       m[1].str(),
                       ran ? "it RAN, which it never should"
                           : "shell escape is off, so it did not "
                             "run"),
           "shell-escape", Severity::error, m[1].str()});
      continue;
    }
    if (!in_error_block) files.scan(line);
  }
  return problems;
}

std::vector<Problem> parse_bibtex_log(std::string_view blg) {
  static const std::regex k_missing_entry(
      R"li(^Warning--I didn't find a database entry for "(.*)")li");
  static const std::regex k_warning(R"(^Warning--(.*?)(?:\s*-+line (\d+) of file (.+))?$)");
  static const std::regex k_error(R"(^(.*)---line (\d+) of file (.+)$)");

  const std::vector<std::string> lines = split_lines(blg);
  std::vector<Problem> problems;
  std::string previous;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::smatch m;
    if (std::regex_search(line, m, k_missing_entry)) {
      problems.push_back(
          {"", 0, fmt::format("no entry for the cited key '{}' in the .bib files", m[1].str()),
           "citation", Severity::error, m[1].str()});
    } else if (std::regex_match(line, m, k_warning)) {
      problems.push_back({m[3].matched ? trim(m[3].str()) : "",
                          m[2].matched ? to_int(m[2].str()) : 0, "BibTeX: " + trim(m[1].str()),
                          "bibtex", Severity::warning, ""});
    } else if (std::regex_match(line, m, k_error)) {
      // "I couldn't open database file x.bib" comes on the line before its "---line".
      std::string message = trim(m[1].str());
      if (message.empty()) message = trim(previous);
      // BibTeX quotes the source below (" : ..."), and sometimes doubts its own line number.
      std::string near;
      bool previous_line = false;
      for (std::size_t j = i + 1; j < lines.size() && j <= i + 4; ++j) {
        if (lines[j].starts_with(" : ")) {
          const std::string quoted = trim(lines[j].substr(3));
          if (!quoted.empty()) near += (near.empty() ? "" : " ") + quoted;
        } else if (lines[j].starts_with("(Error may have been on previous line)")) {
          previous_line = true;
        } else {
          break;
        }
      }
      message = "BibTeX: " + with_near(message, near);
      if (previous_line) message += "; the mistake may be on the line before";
      problems.push_back(
          {trim(m[3].str()), to_int(m[2].str()), message, "bibtex", Severity::error, ""});
    }
    previous = line;
  }
  return problems;
}

}  // namespace writeup
