#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace llm {

// The JSON a model put in its reply. Looks, in order, for:
//   1. a fenced ```json block (the first one; its content must parse);
//   2. otherwise the first balanced {...} in the text: braces inside strings and escaped quotes
//      are respected, nested objects are kept whole, prose before and after is ignored. If that
//      candidate does not parse, the next '{' after it is tried (never one nested inside it).
// Fails with `parse`, quoting the text around the place where parsing failed, or saying that the
// reply holds no JSON object at all, so the message can be shown to the model in a repair prompt.
core::Result<nlohmann::json> extract_json(std::string_view text);

}  // namespace llm
