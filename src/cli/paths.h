#pragma once

#include <filesystem>
#include <vector>

#include "core/environment.h"

namespace cli {

// Where the engine keeps user data (transcripts of ad-hoc chats, the literature index later):
// $XDG_DATA_HOME/ai-scientist, else $HOME/.local/share/ai-scientist, else ./.ai-scientist.
std::filesystem::path user_data_dir(const core::Environment& env);

// Folders searched for templates by name, in order: each folder in $AI_SCIENTIST_TEMPLATES
// (colon-separated), then `templates/` beside the folder holding the binary (a build tree:
// build/ai-scientist finds the repository's templates) and ../share/ai-scientist/templates (an
// installed binary).
std::vector<std::filesystem::path> template_dirs(const core::Environment& env);

}  // namespace cli
