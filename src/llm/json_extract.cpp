#include "llm/json_extract.h"

#include <optional>

#include <fmt/format.h>

namespace llm {
namespace {

using core::ErrorCode;

// `text` with newlines shown as \n, cut to about `width` characters around `pos`.
std::string excerpt(std::string_view text, std::size_t pos, std::size_t width = 60) {
  std::size_t begin = pos > width / 2 ? pos - width / 2 : 0;
  std::string_view piece = text.substr(begin, width);
  std::string out;
  if (begin > 0) out += "...";
  for (char c : piece)
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  if (begin + width < text.size()) out += "...";
  return out;
}

core::Result<nlohmann::json> parse_quoting(std::string_view json_text, std::string_view what) {
  try {
    return nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    std::size_t pos = e.byte > 0 ? e.byte - 1 : 0;
    if (pos > json_text.size()) pos = json_text.size();
    return core::fail(ErrorCode::parse,
                      fmt::format("{} is not valid JSON at character {}: `{}` ({})", what, pos,
                                  excerpt(json_text, pos), e.what()));
  }
}

// The content of the first ```json fence, if any. An unclosed fence runs to the end of the text,
// since a reply cut off by the token limit often ends that way.
std::optional<std::string_view> json_fence(std::string_view text) {
  std::size_t pos = 0;
  while ((pos = text.find("```", pos)) != std::string_view::npos) {
    std::size_t info_begin = pos + 3;
    std::size_t line_end = text.find('\n', info_begin);
    if (line_end == std::string_view::npos) return std::nullopt;
    std::string_view info = text.substr(info_begin, line_end - info_begin);
    while (!info.empty() && (info.back() == ' ' || info.back() == '\r'))
      info.remove_suffix(1);
    std::size_t close = text.find("```", line_end + 1);
    if (info == "json" || info == "JSON") {
      return text.substr(line_end + 1, close == std::string_view::npos ? std::string_view::npos
                                                                       : close - line_end - 1);
    }
    if (close == std::string_view::npos) return std::nullopt;
    pos = close + 3;
  }
  return std::nullopt;
}

// The end (one past the matching '}') of the object starting at text[begin] == '{', or nullopt
// when the text ends first.
std::optional<std::size_t> balanced_end(std::string_view text, std::size_t begin) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = begin; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::nullopt;
}

}  // namespace

core::Result<nlohmann::json> extract_json(std::string_view text) {
  if (auto fenced = json_fence(text)) return parse_quoting(*fenced, "the ```json block");

  std::optional<core::Error> first_error;
  for (std::size_t begin = text.find('{'); begin != std::string_view::npos;
       begin = text.find('{', begin + 1)) {
    auto end = balanced_end(text, begin);
    if (!end) {
      if (!first_error) {
        first_error = core::Error(
            ErrorCode::parse,
            fmt::format("the JSON object starting at character {} is never closed (the reply may "
                        "have been cut off): `{}`",
                        begin, excerpt(text, text.size() > 0 ? text.size() - 1 : 0)));
      }
      break;
    }
    std::string_view candidate = text.substr(begin, *end - begin);
    // The non-throwing parse first: prose full of {braces} would otherwise cost an exception per
    // candidate. Only the first failure is parsed again, for its position.
    auto parsed = nlohmann::json::parse(candidate, nullptr, false);
    if (!parsed.is_discarded()) return parsed;
    if (!first_error) first_error = parse_quoting(candidate, "the {...} in the reply").error();
    // The next candidate starts after this one: an object nested in a broken one is not the
    // answer.
    begin = *end - 1;
  }
  if (first_error) return core::fail(*first_error);
  return core::fail(ErrorCode::parse,
                    fmt::format("the reply holds no JSON object (no ```json block and no '{{'): "
                                "`{}`",
                                excerpt(text, 0)));
}

}  // namespace llm
