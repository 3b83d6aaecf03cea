#include "core/environment.h"

#include <cstring>

namespace core {

Environment Environment::from_process(char** envp) {
  std::map<std::string, std::string> vars;
  for (char** e = envp; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (!eq) continue;
    vars.emplace(std::string(*e, static_cast<std::size_t>(eq - *e)), std::string(eq + 1));
  }
  return Environment(std::move(vars));
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = m_vars.find(std::string(name));
  if (it == m_vars.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string Environment::get_or(std::string_view name, std::string_view fallback) const {
  auto v = get(name);
  return v ? *v : std::string(fallback);
}

}  // namespace core
