#pragma once

#include <filesystem>
#include <string>

#include "core/error.h"

// The text of papers as a reviewer reads it: PDFs through poppler-cpp, LaTeX and Markdown sources
// as they are. The only place that includes poppler's headers.
namespace pdf {

struct TextOptions {
  int max_pages = 0;  // read at most this many pages from the start; 0: all pages
};

// The number of pages of `pdf`. Fails (see read_text) for a missing or empty file, a file that is
// not a PDF, a damaged PDF and one locked with a password.
core::Result<int> page_count(const std::filesystem::path& pdf);

// The text of `pdf` in reading order (columns one after the other, as pdftotext gives it), pages
// separated by a blank line, a word hyphenated at a line end joined again ("exam-\nple" ->
// "example"), the typographic ligatures fi, fl, ff, ffi, ffl spelt out. Fails with a message that
// says what to give instead:
// - `io`: the file does not exist or cannot be read;
// - `invalid_argument`: it is empty, it is not a PDF (no %PDF- header), it is locked with a
//   password, or it yields almost no text (fewer than 50 letters a page on average: a scanned
//   paper, pages as images, which cannot be read without OCR);
// - `parse`: it claims to be a PDF but poppler cannot read it (damaged or cut short).
// Thread-safe. Poppler's own complaints about broken files never reach stderr.
core::Result<std::string> read_text(const std::filesystem::path& pdf,
                                    const TextOptions& options = {});

// What a reviewer reads from `file`: read_text for .pdf; .tex, .md and .txt read as they are
// (options ignored); any other extension (compared case-insensitively) is refused
// (`invalid_argument`) with a message naming the accepted ones. An empty file is refused too.
core::Result<std::string> read_paper(const std::filesystem::path& file,
                                     const TextOptions& options = {});

}  // namespace pdf
