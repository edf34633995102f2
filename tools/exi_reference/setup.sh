#!/usr/bin/env bash
# Create the test-only environment that runs Josev's EXIficient codec (needs Java).
# Usage: tools/exi_reference/setup.sh VENV_DIR   (put VENV_DIR outside the repository)
set -euo pipefail

venv="${1:?usage: setup.sh VENV_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

if ! command -v java >/dev/null 2>&1; then
    # Josev starts EXIficient in a JVM through py4j.
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y default-jre-headless
fi

"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"

# Encodes two known vectors through the codec; fails if the environment is not usable.
"$venv/bin/python" "$here/josev_codec.py"
