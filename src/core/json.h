#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace core {

// Serialises `j` without ever throwing: text that is not valid UTF-8 (a model's answer cut
// mid-character, a process's output tail cut at any byte) has its bad bytes replaced by U+FFFD
// instead of raising nlohmann's type_error. Use it for every dump of data that came from outside.
std::string dump_json(const nlohmann::json& j, int indent = -1);

}  // namespace core
