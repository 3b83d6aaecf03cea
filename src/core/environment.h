#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace core {

// The process environment as a value. Only cli/ reads the real environment (from_process); every
// other module is handed an Environment, so tests can give it exactly the variables they mean.
class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : m_vars(std::move(vars)) {}

  // Copies `envp` ("NAME=value" strings, null-terminated array), as main's third argument or
  // `environ` provide it.
  static Environment from_process(char** envp);

  // The value of `name`; nullopt when unset or set to the empty string (an exported empty
  // variable means "not configured" for every variable this program reads).
  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string_view fallback) const;

  void set(std::string name, std::string value) { m_vars[std::move(name)] = std::move(value); }
  void unset(const std::string& name) { m_vars.erase(name); }
  const std::map<std::string, std::string>& vars() const { return m_vars; }

 private:
  std::map<std::string, std::string> m_vars;
};

}  // namespace core
