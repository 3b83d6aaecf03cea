#include "review/csv.h"
#include "core/text.h"

#include <csv.h>  // libcsv (Debian libcsv-dev)

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <istream>
#include <sstream>

#include <fmt/format.h>

namespace review {
namespace {

using core::trim;

constexpr std::string_view k_utf8_bom = "\xEF\xBB\xBF";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// RFC 4180: spaces are part of a field. libcsv trims spaces and tabs around unquoted fields
// unless it is told that no character is a space.
int no_character_is_space(unsigned char) {
  return 0;
}

// Feeds libcsv one physical line at a time so that each error can name its line, and collects
// the records it reports. Strict mode: malformed quoting is an error, not a silently shifted
// column (a review's text landing in its score column would skew every metric).
class RecordParser {
 public:
  RecordParser(char delimiter, std::string_view source) : m_source(source) {
    csv_init(&m_parser, CSV_STRICT | CSV_STRICT_FINI);
    csv_set_delim(&m_parser, static_cast<unsigned char>(delimiter));
    csv_set_space_func(&m_parser, no_character_is_space);
  }
  ~RecordParser() { csv_free(&m_parser); }
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // `line` is one line of the input including its line break (none for a last unterminated line).
  core::Result<void> feed(std::string_view line) {
    ++m_line;
    if (m_line == 1 && line.starts_with(k_utf8_bom)) line.remove_prefix(k_utf8_bom.size());
    const std::size_t used =
        csv_parse(&m_parser, line.data(), line.size(), on_field, on_record_end, this);
    if (used == line.size()) return {};
    if (csv_error(&m_parser) == CSV_EPARSE) {
      return core::fail(
          core::ErrorCode::parse,
          fmt::format("{}: line {}: malformed quoting (a double quote inside an unquoted field, or "
                      "text after a closing quote). A field holding quotes, the delimiter or line "
                      "breaks must be enclosed in double quotes, with its own quotes doubled "
                      "(RFC 4180).",
                      m_source, m_line));
    }
    return core::fail(core::ErrorCode::io, fmt::format("{}: line {}: {}", m_source, m_line,
                                                       csv_strerror(csv_error(&m_parser))));
  }

  core::Result<void> finish() {
    if (csv_fini(&m_parser, on_field, on_record_end, this) != 0) {
      return core::fail(
          core::ErrorCode::parse,
          fmt::format("{}: a quoted field that starts after line {} is never closed: the file "
                      "ends inside it. Add the missing closing double quote.",
                      m_source, m_last_record_end_line));
    }
    return {};
  }

  std::size_t records_done() const { return m_records.size(); }
  std::vector<std::vector<std::string>>& records() { return m_records; }

 private:
  static void on_field(void* data, std::size_t size, void* self) {
    auto* p = static_cast<RecordParser*>(self);
    p->m_current.emplace_back(static_cast<const char*>(data), size);
  }
  static void on_record_end(int, void* self) {
    auto* p = static_cast<RecordParser*>(self);
    p->m_records.push_back(std::move(p->m_current));
    p->m_current.clear();
    p->m_last_record_end_line = p->m_line;
  }

  csv_parser m_parser{};
  std::string m_source;
  std::size_t m_line = 0;
  std::size_t m_last_record_end_line = 0;
  std::vector<std::string> m_current;
  std::vector<std::vector<std::string>> m_records;
};

// Parses records from `in` until it ends or `max_records` records are complete.
core::Result<std::vector<std::vector<std::string>>> parse_records(std::istream& in, char delimiter,
                                                                  std::string_view source,
                                                                  std::size_t max_records) {
  RecordParser parser(delimiter, source);
  std::string line;
  while (parser.records_done() < max_records && std::getline(in, line)) {
    if (!in.eof()) line += '\n';  // getline dropped it; a quoted field may need it back
    TRY_VOID(parser.feed(line));
  }
  if (in.bad()) {
    return core::fail(core::ErrorCode::io, fmt::format("{}: reading failed", source));
  }
  if (parser.records_done() < max_records) TRY_VOID(parser.finish());
  auto& records = parser.records();
  if (records.size() > max_records) records.resize(max_records);
  return std::move(records);
}

core::Result<CsvTable> to_table(std::vector<std::vector<std::string>> records,
                                std::string_view source) {
  if (records.empty()) {
    return core::fail(core::ErrorCode::parse,
                      fmt::format("{} holds no header row: expected a first line naming the "
                                  "columns, then one line per record",
                                  source));
  }
  CsvTable table;
  table.source = std::string(source);
  table.header = std::move(records.front());
  table.rows.assign(std::make_move_iterator(records.begin() + 1),
                    std::make_move_iterator(records.end()));
  return table;
}

core::Error open_error(const std::filesystem::path& file, int saved_errno) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return {core::ErrorCode::io, fmt::format("{} does not exist; check the path", file.string())};
  }
  if (std::filesystem::is_directory(file, ec)) {
    return {core::ErrorCode::io, fmt::format("{} is a folder, not a table file", file.string())};
  }
  return {core::ErrorCode::io,
          fmt::format("cannot read {}: {}", file.string(), std::strerror(saved_errno))};
}

bool needs_quotes(const std::string& field, char delimiter, bool only_field) {
  if (field.empty()) return only_field;
  if (field.find_first_of(std::string{delimiter, '"', '\r', '\n'}) != std::string::npos) {
    return true;
  }
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  return blank(field.front()) || blank(field.back());
}

}  // namespace

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  std::optional<std::size_t> loose;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (!iequals(trim(header[i]), trim(name))) continue;
    if (loose) return std::nullopt;  // ambiguous: let the caller name it exactly
    loose = i;
  }
  return loose;
}

std::string CsvTable::describe_columns() const {
  std::string out;
  for (const auto& name : header) {
    if (!out.empty()) out += ", ";
    out += '"' + name + '"';
  }
  return out.empty() ? "none" : out;
}

core::Result<CsvTable> parse_csv(std::string_view text, char delimiter, std::string_view source) {
  RecordParser parser(delimiter, source);
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::size_t take = end == std::string_view::npos ? text.size() : end + 1;
    TRY_VOID(parser.feed(text.substr(0, take)));
    text.remove_prefix(take);
  }
  TRY_VOID(parser.finish());
  return to_table(std::move(parser.records()), source);
}

char detect_delimiter(const std::filesystem::path& file, std::string_view first_line) {
  const bool tabs = first_line.find('\t') != std::string_view::npos;
  const bool commas = first_line.find(',') != std::string_view::npos;
  if (tabs && !commas) return '\t';
  if (commas && !tabs) return ',';
  const std::string ext = file.extension().string();
  return iequals(ext, ".tsv") || iequals(ext, ".tab") ? '\t' : ',';
}

core::Result<CsvTable> read_csv_file(const std::filesystem::path& file,
                                     std::optional<char> delimiter) {
  // A folder opens fine for reading on Linux and then reads as nothing.
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) return core::fail(open_error(file, EISDIR));
  std::ifstream in(file, std::ios::binary);
  if (!in) return core::fail(open_error(file, errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return core::fail(core::ErrorCode::io, fmt::format("reading {} failed", file.string()));
  }
  const std::string text = std::move(buffer).str();
  const char chosen =
      delimiter ? *delimiter : detect_delimiter(file, text.substr(0, text.find('\n')));
  return parse_csv(text, chosen, file.string());
}

std::string format_csv_row(std::span<const std::string> fields, char delimiter) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += delimiter;
    const std::string& field = fields[i];
    if (!needs_quotes(field, delimiter, fields.size() == 1)) {
      out += field;
      continue;
    }
    out += '"';
    for (char c : field) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += "\r\n";
  return out;
}

void write_csv_row(std::ostream& out, std::span<const std::string> fields, char delimiter) {
  out << format_csv_row(fields, delimiter);
}

core::Result<void> append_csv_row(const std::filesystem::path& file,
                                  std::span<const std::string> header,
                                  std::span<const std::string> fields) {
  if (fields.size() != header.size()) {
    return core::fail(core::ErrorCode::invalid_argument,
                      fmt::format("a row for {} has {} fields but its header has {} columns",
                                  file.string(), fields.size(), header.size()));
  }
  std::error_code ec;
  const bool fresh =
      !std::filesystem::exists(file, ec) || std::filesystem::file_size(file, ec) == 0;
  std::string text;
  if (fresh) {
    text = format_csv_row(header);
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return core::fail(open_error(file, errno));
    auto first = TRY(parse_records(in, ',', file.string(), 1));
    if (first.empty() ||
        !std::equal(first[0].begin(), first[0].end(), header.begin(), header.end())) {
      CsvTable existing;
      if (!first.empty()) existing.header = first[0];
      CsvTable wanted;
      wanted.header.assign(header.begin(), header.end());
      return core::fail(
          core::ErrorCode::invalid_argument,
          fmt::format("{} has the columns {}, not the ones this run writes ({}); "
                      "write to another file or move this one away",
                      file.string(), existing.describe_columns(), wanted.describe_columns()));
    }
    in.clear();
    in.seekg(-1, std::ios::end);
    char last = 0;
    if (!in.get(last)) {
      return core::fail(core::ErrorCode::io, fmt::format("reading {} failed", file.string()));
    }
    if (last != '\n' && last != '\r') {
      return core::fail(core::ErrorCode::parse,
                        fmt::format("{} ends in the middle of a row (an earlier run stopped while "
                                    "writing it); delete that incomplete last row and run again",
                                    file.string()));
    }
  }
  text += format_csv_row(fields);
  std::ofstream out(file, std::ios::binary | std::ios::app);
  if (!out) {
    return core::fail(core::ErrorCode::io, fmt::format("cannot open {} for appending: {}",
                                                       file.string(), std::strerror(errno)));
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.flush();
  if (!out) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("writing to {} failed: {}", file.string(), std::strerror(errno)));
  }
  return {};
}

}  // namespace review
