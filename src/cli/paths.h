#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/environment.h"
#include "core/error.h"

namespace cli {

// Where the engine keeps user data (transcripts of ad-hoc chats, the literature index later):
// $XDG_DATA_HOME/ai-scientist, else $HOME/.local/share/ai-scientist, else ./.ai-scientist.
std::filesystem::path user_data_dir(const core::Environment& env);

// Folders searched for templates by name, in order: each folder in $AI_SCIENTIST_TEMPLATES
// (colon-separated), then `templates/` beside the folder holding the binary (a build tree:
// build/ai-scientist finds the repository's templates) and ../share/ai-scientist/templates (an
// installed binary).
std::vector<std::filesystem::path> template_dirs(const core::Environment& env);

// The template `name_or_dir`: a folder path, or a name found in template_dirs(env). Fails with
// invalid_argument naming the folders searched and how to list the templates.
core::Result<std::filesystem::path> find_template(const std::string& name_or_dir,
                                                  const core::Environment& env);

}  // namespace cli
