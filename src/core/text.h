#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

// Small text and file helpers every module needs.
namespace core {

// `text` without leading and trailing spaces, tabs, CRs and LFs.
std::string_view trim(std::string_view text);

// The whole content of `path`, read as bytes; nullopt when it cannot be opened.
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace core
