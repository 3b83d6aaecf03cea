#pragma once

#include <string>
#include <string_view>

#include "core/literature.h"

namespace literature {

// A citation key "<first author's family name><year><first title word>", lowercase ASCII
// letters and digits only (accented Latin letters folded to their base letter, other characters
// dropped; leading articles "a", "an", "the" skipped). Deterministic: the same metadata always
// gives the same key. Parts that are unknown are left out; "paper" when nothing is left.
std::string bibtex_key(const core::Paper& paper);

// Escapes text for a BibTeX field value: { } & % $ # _ get a backslash, \ ~ ^ become
// \textbackslash{}, \textasciitilde{}, \textasciicircum{}; non-ASCII UTF-8 is kept as is.
std::string bibtex_escape(std::string_view text);

// A BibTeX entry built from the paper's metadata (never from a model): @inproceedings when the
// venue looks like a conference or workshop, @article when another venue is known, else @misc
// (with eprint/archivePrefix for arXiv papers). Fields: author ("A and B"), title (in double
// braces to keep its capitalisation), journal/booktitle, year, doi, eprint, url — those known.
// `key` empty means bibtex_key(paper). Ends with "}\n".
std::string bibtex_from_metadata(const core::Paper& paper, std::string key = "");

}  // namespace literature
