#pragma once

#include <filesystem>

#include "core/environment.h"

namespace cli {

// Where the engine keeps user data (transcripts of ad-hoc chats, the literature index later):
// $XDG_DATA_HOME/ai-scientist, else $HOME/.local/share/ai-scientist, else ./.ai-scientist.
std::filesystem::path user_data_dir(const core::Environment& env);

}  // namespace cli
