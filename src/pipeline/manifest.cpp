#include "pipeline/manifest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include <fmt/format.h>

#include "core/json.h"

namespace pipeline {

namespace fs = std::filesystem;
using core::ErrorCode;
using nlohmann::json;

namespace {

constexpr int k_manifest_version = 1;

bool is_run_folder(const std::string& name) {
  constexpr std::string_view k_prefix = "run_";
  return name.size() > k_prefix.size() && name.starts_with(k_prefix) &&
         name.find_first_not_of("0123456789", k_prefix.size()) == std::string::npos;
}

struct DigestDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// SHA-256 through EVP. Every call checks OpenSSL's answer: a failure there is a broken library,
// reported as io rather than a wrong hash.
class Sha256 {
 public:
  core::Result<void> init() {
    m_ctx.reset(EVP_MD_CTX_new());
    if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1) {
      return core::fail(ErrorCode::io, "OpenSSL could not start a SHA-256 digest");
    }
    return {};
  }
  core::Result<void> update(std::string_view bytes) {
    if (EVP_DigestUpdate(m_ctx.get(), bytes.data(), bytes.size()) != 1) {
      return core::fail(ErrorCode::io, "OpenSSL failed while hashing the template");
    }
    return {};
  }
  core::Result<std::string> hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(m_ctx.get(), digest.data(), &size) != 1) {
      return core::fail(ErrorCode::io, "OpenSSL failed to finish the template's SHA-256");
    }
    std::string out;
    for (unsigned int i = 0; i < size; ++i)
      out += fmt::format("{:02x}", digest[i]);
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> m_ctx;
};

// One entry of the hash: a NUL after each field keeps "ab"+"c" apart from "a"+"bc".
std::string header(std::string_view kind, const std::string& path, std::uintmax_t size) {
  return fmt::format("{}{}{}{}{}{}", kind, '\0', path, '\0', size, '\0');
}

core::Result<void> write_all(int fd, std::string_view bytes, const fs::path& file) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::fail(ErrorCode::io,
                        fmt::format("writing {} failed: {}", file.string(), std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

template <typename T>
core::Result<void> read_field(const json& j, const char* key, T& into, std::string_view source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  try {
    into = it->get<T>();
  } catch (const json::exception& e) {
    return core::fail(ErrorCode::parse,
                      fmt::format("{}: \"{}\" has the wrong type ({})", source, key, e.what()));
  }
  return {};
}

}  // namespace

json manifest_to_json(const Manifest& m) {
  return {{"manifest_version", k_manifest_version},
          {"engine_version", m.engine_version},
          {"idea", m.idea},
          {"template", {{"name", m.template_name}, {"hash", m.template_hash}}},
          {"models", {{"writer", m.writer_model}, {"reviewer", m.reviewer_model}}},
          {"flags", m.flags},
          {"seeds", m.seeds},
          {"started", m.started},
          {"finished", m.finished},
          {"sandbox", {{"enabled", !m.no_sandbox}, {"description", m.sandbox}}}};
}

core::Result<Manifest> manifest_from_json(const json& j, std::string_view source) {
  if (!j.is_object()) {
    return core::fail(ErrorCode::parse, fmt::format("{} is not a JSON object", source));
  }
  int version = 0;
  TRY_VOID(read_field(j, "manifest_version", version, source));
  if (version > k_manifest_version) {
    return core::fail(ErrorCode::parse,
                      fmt::format("{} is a manifest of version {}, newer than this program's {}; "
                                  "read it with a newer ai-scientist",
                                  source, version, k_manifest_version));
  }
  Manifest m;
  TRY_VOID(read_field(j, "engine_version", m.engine_version, source));
  TRY_VOID(read_field(j, "idea", m.idea, source));
  TRY_VOID(read_field(j, "started", m.started, source));
  TRY_VOID(read_field(j, "finished", m.finished, source));
  TRY_VOID(read_field(j, "seeds", m.seeds, source));
  if (auto flags = j.find("flags"); flags != j.end() && !flags->is_null()) m.flags = *flags;
  const json empty = json::object();
  const auto object = [&](const char* key) -> core::Result<const json*> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return &empty;
    if (!it->is_object()) {
      return core::fail(ErrorCode::parse, fmt::format("{}: \"{}\" must be an object", source, key));
    }
    return &*it;
  };
  const json* tmpl = TRY(object("template"));
  TRY_VOID(read_field(*tmpl, "name", m.template_name, source));
  TRY_VOID(read_field(*tmpl, "hash", m.template_hash, source));
  const json* models = TRY(object("models"));
  TRY_VOID(read_field(*models, "writer", m.writer_model, source));
  TRY_VOID(read_field(*models, "reviewer", m.reviewer_model, source));
  const json* sandbox = TRY(object("sandbox"));
  bool enabled = true;
  TRY_VOID(read_field(*sandbox, "enabled", enabled, source));
  m.no_sandbox = !enabled;
  TRY_VOID(read_field(*sandbox, "description", m.sandbox, source));
  return m;
}

core::Result<void> write_manifest(const fs::path& file, const Manifest& manifest) {
  static std::atomic<unsigned> counter{0};
  const std::string text = core::dump_json(manifest_to_json(manifest), 2) + "\n";
  // Unique per process and call, so two writers never share a temporary file.
  const fs::path tmp = file.parent_path() / fmt::format(".{}.{}.{}.tmp", file.filename().string(),
                                                        ::getpid(), counter.fetch_add(1));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return core::fail(ErrorCode::io, fmt::format("cannot write the manifest {}: {}", tmp.string(),
                                                 std::strerror(errno)));
  }
  auto written = write_all(fd, text, tmp);
  // fsync before rename: otherwise a crash soon after could leave the new name on an empty file.
  if (written && ::fsync(fd) != 0) {
    written = core::fail(ErrorCode::io, fmt::format("flushing the manifest {} to disk failed: {}",
                                                    tmp.string(), std::strerror(errno)));
  }
  ::close(fd);
  std::error_code ec;
  if (!written) {
    fs::remove(tmp, ec);
    return written;
  }
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return core::fail(ErrorCode::io, fmt::format("cannot replace the manifest {}: {}",
                                                 file.string(), ec.message()));
  }
  return {};
}

core::Result<Manifest> read_manifest(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return core::fail(ErrorCode::io, fmt::format("cannot read the manifest {}: {}", file.string(),
                                                 std::strerror(errno)));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return core::fail(ErrorCode::parse,
                      fmt::format("the manifest {} is not valid JSON", file.string()));
  }
  return manifest_from_json(j, file.string());
}

core::Result<std::string> hash_template(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return core::fail(ErrorCode::io,
                      fmt::format("cannot hash the template {}: not a folder", dir.string()));
  }
  struct Entry {
    std::string path;  // relative, '/'-separated
    fs::path full;
    bool link = false;
  };
  std::vector<Entry> entries;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& e = *it;
    const std::string name = e.path().filename().string();
    const bool link = e.is_symlink(ec);
    if (!link && e.is_directory(ec)) {
      if (name == "__pycache__" || (it.depth() == 0 && is_run_folder(name))) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!link && !e.is_regular_file(ec)) continue;  // sockets, fifos: not template content
    entries.push_back({e.path().lexically_relative(dir).generic_string(), e.path(), link});
  }
  if (ec) {
    return core::fail(ErrorCode::io,
                      fmt::format("cannot list the template {}: {}", dir.string(), ec.message()));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.path < b.path; });

  Sha256 sha;
  TRY_VOID(sha.init());
  std::vector<char> buffer(1 << 16);
  for (const auto& e : entries) {
    if (e.link) {
      const std::string target = fs::read_symlink(e.full, ec).string();
      if (ec) {
        return core::fail(ErrorCode::io, fmt::format("cannot read the link {}: {}", e.full.string(),
                                                     ec.message()));
      }
      TRY_VOID(sha.update(header("link", e.path, target.size())));
      TRY_VOID(sha.update(target));
      continue;
    }
    std::ifstream in(e.full, std::ios::binary);
    if (!in) {
      return core::fail(ErrorCode::io, fmt::format("cannot read {} to hash the template: {}",
                                                   e.full.string(), std::strerror(errno)));
    }
    const std::uintmax_t size = fs::file_size(e.full, ec);
    TRY_VOID(sha.update(header("file", e.path, ec ? 0 : size)));
    std::uintmax_t hashed = 0;
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const auto got = static_cast<std::size_t>(in.gcount());
      TRY_VOID(sha.update(std::string_view(buffer.data(), got)));
      hashed += got;
    }
    if (in.bad() || hashed != size) {
      return core::fail(ErrorCode::io,
                        fmt::format("{} changed or could not be read while the template was "
                                    "hashed; hash it again when nothing writes to it",
                                    e.full.string()));
    }
  }
  return "sha256:" + TRY(sha.hex());
}

}  // namespace pipeline
