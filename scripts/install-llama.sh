#!/usr/bin/env bash
# Install llama-cpp-python, compiled to run on any x86-64 CPU with AVX2, into a Python environment.
#
#   bash scripts/install-llama.sh [PYTHON]        (default .venv/bin/python)
#
# pip's own build compiles llama.cpp for the CPU it runs on (-march=native): on a machine whose
# CPU reports AMX that build crashed on the first answer, and pip's wheel cache hands a wheel
# built on one machine to the next install. So both builds here have explicit flags:
#   avx2    AVX2 FMA F16C BMI2                      the package itself: runs everywhere
#   avx512  the same + AVX-512 F/BW/DQ/VL/CD, VNNI, VBMI, BF16 (never AMX)
#           its libraries only, in $PREFIX/lib/newsqa-llama/avx512
# The model worker loads the avx512 libraries on a CPU that has every one of those features
# (assistant/model_worker.py), the avx2 ones elsewhere: the choice is made where it runs, not
# where it was built. bench/llama_build.py measured both against a native build (README).
# Each wheel is built once per version and flag set, into a cache of its own (never pip's), and
# the install replaces whatever llama-cpp-python was there, an old native build included.
set -euo pipefail
PY=${1:-.venv/bin/python}
VERSION=0.3.36
BASE="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
BASE="$BASE -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
# The multimodal (llava/mtmd) library: newsqa reads text only, and it is a third of the build.
BASE="$BASE -DLLAVA_BUILD=OFF"
AVX2="$BASE -DGGML_AVX512=OFF"
AVX512="$BASE -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON"
CACHE_ROOT="${NEWSQA_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/newsqa/wheels}"
PREFIX=$("$PY" -c 'import sys; print(sys.prefix)')
STAMP="$PREFIX/newsqa-llama-build.txt"
VARIANTS="$PREFIX/lib/newsqa-llama"

key() { printf '%s %s' "$VERSION" "$1" | sha256sum | cut -c1-12; }
WANT="llama-cpp-python $VERSION, portable builds avx2 $(key "$AVX2") and avx512 $(key "$AVX512") (no AMX)"

# Prints the folder holding the wheel built with flags $1, building it first if needed.
wheel() {
  local dir
  dir="$CACHE_ROOT/llama-cpp-python-$VERSION-$(key "$1")"
  if ! ls "$dir"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
    echo "Compiling llama-cpp-python $VERSION ($2; about 5 minutes on 2 cores)..." >&2
    mkdir -p "$CACHE_ROOT"
    local build
    build=$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")
    CMAKE_ARGS="$1" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      "$PY" -m pip wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python \
      -w "$build" "llama-cpp-python==$VERSION" >&2 || { rm -rf "$build"; exit 1; }
    # Moved in whole, so an interrupted build never leaves a wheel that looks finished.
    rm -rf "$dir"
    mv "$build" "$dir"
  fi
  echo "$dir"
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && "$PY" -c 'import llama_cpp' 2>/dev/null; then
  exit 0
fi
AVX2_DIR=$(wheel "$AVX2" "for any AVX2 CPU")
AVX512_DIR=$(wheel "$AVX512" "AVX-512 variant")
"$PY" -m pip install -q --no-deps --force-reinstall "$AVX2_DIR"/llama_cpp_python-"$VERSION"-*.whl
rm -rf "$VARIANTS"
mkdir -p "$VARIANTS/avx512"
"$PY" - "$AVX512_DIR" "$VARIANTS/avx512" <<'PYEOF'
import sys, zipfile, pathlib
wheel = next(pathlib.Path(sys.argv[1]).glob("llama_cpp_python-*.whl"))
out = pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheel) as zf:
    for name in zf.namelist():
        if name.startswith("llama_cpp/lib/") and not name.endswith("/"):
            target = out / pathlib.Path(name).name
            target.write_bytes(zf.read(name))
            target.chmod(0o755)
PYEOF
echo "$WANT" > "$STAMP"
