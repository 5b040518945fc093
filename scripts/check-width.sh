#!/usr/bin/env bash
# List every line over 120 characters in the project's text files (tracked, or new and not ignored) and exit 1 if
# there is one (issue 23 item 6). Prettier keeps *.ts/*.js/*.json/*.yaml/*.md at printWidth 120 but cannot break
# a long string, comment, test name or shell line; this check covers those and every other text file.
#
#   bash scripts/check-width.sh              every file
#   bash scripts/check-width.sh docs scripts only these paths (git pathspecs)
#
# Allowed to stay longer:
#   - files machines write, which nobody wraps: package-lock.json, go.sum (module checksums), test/golden/ (the
#     exact Containerfiles and commands the renderers and scripts produce);
#   - markdown table rows (a line starting with `|`, indented or not): a row cannot be wrapped;
#   - a line that is one bare URL (optionally behind a comment leader `#`, `//`, `*` or a list's `-`).
# Characters are counted, not bytes (a UTF-8 locale), so an arrow or an ellipsis counts once.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly MAX=120
export LC_ALL=C.UTF-8

machine_written() {
    case "$1" in
        package-lock.json | */package-lock.json | go.sum | */go.sum | test/golden/*) return 0 ;;
    esac
    return 1
}

mapfile -t files < <(
    git ls-files --cached --others --exclude-standard -- "$@" | while read -r f; do
        [[ -f $f ]] || continue
        machine_written "$f" || echo "$f"
    done
)
((${#files[@]})) || { echo "check-width: no files under ${*:-the repository}" >&2; exit 1; }

url_line='^[[:space:]]*((#|//|\*|-)[[:space:]]*)?<?https?://[^[:space:]]+>?[[:space:]]*$'
long=0
# grep -I skips binary files; '.' matches one character in a UTF-8 locale.
while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    text=${rest#*:}
    [[ $file == *.md && $text =~ ^[[:space:]]*\| ]] && continue
    [[ $text =~ $url_line ]] && continue
    printf '%s:%s: %d characters\n' "$file" "$line" "${#text}"
    long=$((long + 1))
done < <(grep -IHnE "^.{$((MAX + 1)),}" -- "${files[@]}" || true)

if ((long)); then
    echo "check-width: $long lines over $MAX characters in ${#files[@]} files; wrap them (see scripts/check-width.sh)" \
        >&2
    exit 1
fi
echo "check-width: ${#files[@]} files, every line at most $MAX characters"
