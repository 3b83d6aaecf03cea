#pragma once

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "writeup/latex_log.h"

// Helpers the write-up tests share: problems listed for failure messages, filtered by kind, and
// a figure file that exists.
namespace writeup_test {

// One line per problem, "[kind] file:line: message", for a failing assertion's message.
inline std::string describe(const std::vector<writeup::Problem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += "[" + p.kind + "] " + writeup::format_problem(p) + "\n";
  return out;
}

inline std::vector<writeup::Problem> of_kind(const std::vector<writeup::Problem>& problems,
                                             const std::string& kind) {
  std::vector<writeup::Problem> out;
  std::copy_if(problems.begin(), problems.end(), std::back_inserter(out),
               [&](const writeup::Problem& p) { return p.kind == kind; });
  return out;
}

// A bare 1x1 PNG, enough for a figure that exists.
inline const std::string k_png(
    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\n"
    "IDAT\x78\x9c\x63\0\x01\0\0\x05\0\x01\x0d\x0a\x2d\xb4\0\0\0\0IEND\xae\x42\x60\x82",
    67);

}  // namespace writeup_test
