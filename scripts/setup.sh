#!/usr/bin/env bash
# Installs every Debian package ai-scientist uses (idempotent: only what is missing is fetched),
# then configures and builds the project into ./build.
#
#   scripts/setup.sh            install what is missing, configure, build
#   scripts/setup.sh --deps     install what is missing, do not build
#
# Needs root for apt-get (it uses sudo when run as another user). Re-running it is cheap.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${AI_SCIENTIST_BUILD_DIR:-"$here/build"}

# One list, grouped by what needs it. Keep DESIGN.md's dependency list and this in step.
packages=(
  # toolchain
  g++ cmake ninja-build pkg-config clang-format git ca-certificates
  # libraries the engine links
  libcurl4-openssl-dev nlohmann-json3-dev libsqlite3-dev libcli11-dev libfmt-dev
  libpoppler-cpp-dev libtomlplusplus-dev zlib1g-dev libcsv-dev
  # tests: GoogleTest and the loopback servers
  libgtest-dev libgmock-dev libcpp-httplib-dev
  # benchmarks (bench/)
  libbenchmark-dev
  # sandbox for LLM-written code
  bubblewrap
  # papers
  texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended
  texlive-science texlive-bibtex-extra latexmk chktex poppler-utils
  # the shipped Python templates
  python3 python3-numpy python3-torch python3-matplotlib python3-sklearn python3-scipy
  # lint of LLM-written Python (fatal errors only)
  flake8
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || {
      echo "setup: apt-get needs root; run this script as root or install sudo" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} Debian packages present"
fi

[[ "${1:-}" == "--deps" ]] && exit 0

generator=()
[[ -f "$build_dir/CMakeCache.txt" ]] || generator=(-G Ninja)
cmake -S "$here" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
echo "setup: built $build_dir/ai-scientist"
