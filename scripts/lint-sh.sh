#!/usr/bin/env bash
# Lint every shell script the project ships or runs with shellcheck: *.sh plus extension-less files whose
# first line is a bash/sh shebang (fixture commands such as dev/image/rpm-ostree).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null || {
    echo "lint-sh: shellcheck is not installed (apt-get install shellcheck)" >&2
    exit 1
}
mapfile -t files < <(
    git ls-files --cached --others --exclude-standard -- components scripts dev engine test .ci |
        while read -r f; do
            [ -f "$f" ] || continue
            case "$f" in
                *.sh) echo "$f" ;;
                *.ts | *.json | *.yaml | *.md | *.Containerfile | *.txt) ;;
                *) head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;;
            esac
        done
)
shellcheck -x "${files[@]}"
echo "lint-sh: ${#files[@]} scripts clean"
