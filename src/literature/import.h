#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/literature.h"
#include "literature/local_index.h"

namespace literature {

// The public bulk dumps import_file reads, one JSON object per line:
//   arxiv    — the arXiv metadata snapshot (Kaggle "arxiv-metadata-oai-snapshot.json")
//   openalex — OpenAlex works (the snapshot's works/*.gz parts or API results, one per line)
//   s2       — Semantic Scholar papers dataset (or Graph API paper objects, one per line)
enum class Format { arxiv, openalex, s2 };

// "arxiv" | "openalex" | "s2" (also "semanticscholar") -> Format; invalid_argument otherwise.
core::Result<Format> parse_format(std::string_view name);
std::string_view to_string(Format format);

struct ImportCounts {
  long long read = 0;     // non-empty lines read
  long long added = 0;    // new papers
  long long updated = 0;  // papers merged into ones already in the index
  long long skipped = 0;  // malformed lines, or records without a usable title/identifier
};

// Called after each batch is committed, with the counts so far and the bytes consumed from the
// file (compressed bytes for .gz) so a caller can draw a progress bar against the file size.
using ImportProgress = std::function<void(const ImportCounts& counts, long long bytes_read)>;

struct ImportOptions {
  int batch_size = 5000;  // papers per transaction
};

// The Paper one record of `format` describes; nullopt when it has no title (or is not an
// object). Never throws. Text is whitespace-collapsed; an OpenAlex abstract is rebuilt from its
// inverted index; identifiers are returned as they appear (LocalIndex::add normalises them).
std::optional<core::Paper> paper_from_record(const nlohmann::json& record, Format format);

// Streams `path` (gzip-compressed or plain, detected from the content) line by line into
// `index`, in transactions of options.batch_size. Malformed lines (not JSON, not an object, no
// title) are skipped and counted; running it again adds nothing twice. Errors: io when the file
// cannot be opened or read (a truncated .gz included) — papers of batches already committed stay
// in the index; whatever LocalIndex::add fails with.
core::Result<ImportCounts> import_file(LocalIndex& index, const std::filesystem::path& path,
                                       Format format, const ImportProgress& progress = {},
                                       ImportOptions options = {});

}  // namespace literature
