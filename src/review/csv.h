#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

// Delimited text tables (CSV per RFC 4180, and TSV): reading them whole, writing rows, and
// appending rows to a file that a resumable run grows one paper at a time.
namespace review {

// A table as read: the first record is the header, every later record is a row. Rows keep the
// length they had in the file (shorter or longer than the header); callers decide what a ragged
// row means. Blank lines are not records.
struct CsvTable {
  std::string source;  // the file (or the name a caller gave), for messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // Index of the column called `name`: the exact name if present, else the one column whose name
  // equals it ignoring ASCII case and surrounding whitespace. nullopt when there is none, or when
  // several columns match only loosely.
  std::optional<std::size_t> column(std::string_view name) const;

  // The header as `"a", "b", "c"`, for messages that tell the user which columns exist.
  std::string describe_columns() const;
};

// Parses `text` as delimited records. Quoting follows RFC 4180 for any delimiter: a field in
// double quotes may hold the delimiter, line breaks and doubled quotes (""). Records end at LF,
// CRLF or CR; a leading UTF-8 byte-order mark is dropped; spaces are kept as part of fields.
// Fails with ErrorCode::parse, naming `source` and the line, on a quote inside an unquoted field,
// text after a closing quote, or a quoted field that never closes; and when there is no header.
core::Result<CsvTable> parse_csv(std::string_view text, char delimiter = ',',
                                 std::string_view source = "input");

// The delimiter of a table file: ',' or '\t'. The header line decides when it holds only one of
// the two (tabs and no comma: TSV; commas and no tab: CSV); otherwise the extension does (.tsv
// and .tab: TSV; anything else: CSV). `first_line` is the file's text up to its first line break.
char detect_delimiter(const std::filesystem::path& file, std::string_view first_line);

// Reads and parses `file`. With no delimiter given, detect_delimiter chooses it. Fails with
// ErrorCode::io when the file cannot be read (the message names it and says why), otherwise as
// parse_csv does.
core::Result<CsvTable> read_csv_file(const std::filesystem::path& file,
                                     std::optional<char> delimiter = std::nullopt);

// One record as RFC 4180 text, ending in CRLF (as RFC 4180 and Python's csv module write it). A
// field is quoted only when it must be: it holds the delimiter, a double quote, CR or LF, or
// starts or ends with a space or tab (which lenient readers would trim); or it is the only field
// and empty (an empty line would read back as no record). Inner quotes are doubled.
std::string format_csv_row(std::span<const std::string> fields, char delimiter = ',');

// Writes format_csv_row(fields, delimiter) to `out`. The caller checks the stream.
void write_csv_row(std::ostream& out, std::span<const std::string> fields, char delimiter = ',');

// Appends one row to the CSV `file` for runs that grow it one record at a time and resume where
// they stopped (a caller skips ids already present, as read_csv_file shows them). A file that
// does not exist or is empty gets `header` first. An existing file must have exactly `header` as
// its first record (ErrorCode::invalid_argument otherwise, naming both) and must end with a line
// break: one that does not was cut short while a row was written, and appending would glue the new
// row to the broken one (ErrorCode::parse, saying how to repair it). The row is written with one
// write and flushed. `fields` must be as long as `header` (ErrorCode::invalid_argument).
core::Result<void> append_csv_row(const std::filesystem::path& file,
                                  std::span<const std::string> header,
                                  std::span<const std::string> fields);

}  // namespace review
