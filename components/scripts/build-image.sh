#!/usr/bin/env bash
# rhcos-forge build-image.sh
#
# Builds a layered node image from a bundle read on stdin, pushes it and
# reports its digest and the package difference to its base image.
#
# env:
#   RF_ROOT               work dir (default /var/lib/rhcos-forge)
#   RF_BUILD_ID           content hash from the caller: work dir name + push tag
#   RF_IMAGE_REPO         push repo without tag (e.g. registry:5000/rhcos-forge/node)
#   RF_BASE_IMAGE         the FROM image, repo@sha256:<64 hex>
#   RF_PODMAN_BUILD_ARGS  extra flags for podman build (word-split; default empty)
#   RF_TLS_VERIFY         true (default) | false, for pull/build/push/inspect
#   RF_MIRROR_REVISION    the mirror's revision (hex, default empty): the value of the
#                         Containerfile's `ARG RF_MIRROR_REVISION` when it declares one, so
#                         the RUNs that read a re-synced mirror never come from podman's cache
#
# stdin (bundle), one entry per line:
#   rhcos-forge-bundle v1
#   file <octal mode> <base64 of relative path> <base64 of content>
#   authfile <base64 of a containers auth.json>
#   secret <base64 of a build secret id> <base64 of its content>
#     (a TLS file of a `fetch: build` repo: written 0600 outside the context and
#     given to podman build --secret id=<id>,src=<file>; the Containerfile's
#     RUN --mount=type=secret reads it, so it never reaches a layer; every line
#     of it is masked in the build's output)
#
# stdout (last line, also written to $RF_ROOT/builds/$RF_BUILD_ID/result.json):
#   {"ref":"<repo>@sha256:…","digest":"sha256:…","base":"…","tag":"<repo>:<id>",
#    "packages":{"added":[…],"removed":[…],"changed":[{"name":…,"from":…,"to":…}]},
#    "sbom":{"ref":"<repo>@sha256:…","digest":"sha256:…","tag":"<repo>:sha256-<hex>.sbom","packages":<n>}}
#
# SBOM: an SPDX 2.3 JSON document of the built image (every RPM of its rpmdb: name, epoch,
# version, release, arch, the RPM License tag, source RPM; the base image by digest as the image's
# origin, DESCENDANT_OF), pushed to the image's repository as an OCI artifact whose `subject` is
# the image (artifactType application/spdx+json). podman 4.3 / skopeo 1.9 cannot push to the
# OCI 1.1 referrers API and docker-registry 2.8 does not serve it, so the artifact is tagged
# sha256-<hex>.sbom, cosign's tag convention; a registry with referrers support also lists it
# there through its subject. Query and document are lib.sh's rf_rpm_list and rf_sbom_push, which
# sbom-image.sh shares for images built elsewhere (cosa).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-sbom.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-sbom.sh"
rf_init 022 RF_ROOT=/var/lib/rhcos-forge RF_BUILD_ID= RF_IMAGE_REPO= RF_BASE_IMAGE= RF_PODMAN_BUILD_ARGS= \
  RF_TLS_VERIFY=true RF_MIRROR_REVISION=

# ---------------------------------------------------------------- arguments
rf_step "arguments"
rf_require_path RF_ROOT "$RF_ROOT"
rf_require_bool RF_TLS_VERIFY "$RF_TLS_VERIFY"
RF_TLS_VERIFY="$(rf_bool "$RF_TLS_VERIFY")"
rf_require_uint RF_LOCK_TIMEOUT "${RF_LOCK_TIMEOUT:-3600}"
# Build flags are passed as words, never evaluated; still, nothing that only makes sense to a
# shell (; | & $ \` < > ( ) quotes) is accepted, and no flag that reaches outside the build:
# --volume/-v and --mount would hand the host's files to the Containerfile's RUN steps.
rf_require_words RF_PODMAN_BUILD_ARGS "$RF_PODMAN_BUILD_ARGS" '^[A-Za-z0-9_./:=,+%@-]+$' \
  "a plain podman build flag or value"
read -r -a build_args <<< "$RF_PODMAN_BUILD_ARGS"
for a in "${build_args[@]}"; do
  case "$a" in
    -v|--volume|--volume=*|--mount|--mount=*|-v=*)
      rf_fail "arguments" "RF_PODMAN_BUILD_ARGS must not mount host paths into the build, got: $(rf__shown "$a")" ;;
  esac
  # Paths in flags are the build context's: never absolute, never up out of it.
  if [[ "$a" =~ (^|=)/ ]] || [[ "$a" =~ (^|[/=])\.\.(/|$) ]]; then
    rf_fail "arguments" "RF_PODMAN_BUILD_ARGS must not name paths outside the build context, got: $(rf__shown "$a")"
  fi
done
[[ "$RF_MIRROR_REVISION" =~ ^[0-9a-f]{0,128}$ ]] \
  || rf_fail "arguments" "RF_MIRROR_REVISION must be a hex revision, got: $(rf__shown "$RF_MIRROR_REVISION")"
rf_require_tag RF_BUILD_ID "$RF_BUILD_ID"
rf_require_ref RF_IMAGE_REPO "$RF_IMAGE_REPO" repo
rf_require_ref RF_BASE_IMAGE "$RF_BASE_IMAGE" digest
rf_need podman skopeo rpm base64 awk flock

tag="$RF_IMAGE_REPO:$RF_BUILD_ID"
build_dir="$RF_ROOT/builds/$RF_BUILD_ID"
ctx="$build_dir/context"
result_file="$build_dir/result.json"
mkdir -p "$RF_ROOT/tmp" "$build_dir"
chmod 0700 "$RF_ROOT/tmp"

# one run per build id at a time (the component may retry while one runs)
rf_step "lock"
exec 9> "$build_dir/.lock"
if ! flock -w "${RF_LOCK_TIMEOUT:-3600}" 9; then
  rf_fail "lock" "another build-image.sh run holds $build_dir/.lock"
fi
rf_scratch_dir "$RF_ROOT/tmp" build-image
: > "$work/nosecrets"

# ---------------------------------------------------------------- mirror
rf_step "mirror"
# A background mirror server does not survive a reboot of the host, and nothing re-runs the
# mirror's sync while its inputs are unchanged: the build that needs it starts it again.
mirror_state="$(rf_mirror_restart)" \
  || rf_fail "mirror" "the mirror server was not running and did not start again (see $RF_ROOT/mirror-server.log)"
[ "$mirror_state" != restarted ] \
  || rf_log "the mirror server was not running (host rebooted or process gone); started it again"

# ---------------------------------------------------------------- unpack
rf_step "unpack"
newctx="$build_dir/context.new"
rm -rf "$newctx"
mkdir -p "$newctx"
authfile=""
secret_args=()
mkdir -p "$work/secrets"
chmod 0700 "$work/secrets"
secrets_mask="$work/secrets.mask"
: > "$secrets_mask"
nfiles=0
on_entry() {
  local lineno="$1" kind="$2" f1="${3:-}" f2="${4:-}" f3="${5:-}" extra="${6:-}" rel part dest sid
  local -a parts
  case "$kind" in
    file)
      [ -z "$extra" ] || rf_fail "unpack" "bundle line $lineno: too many fields"
      [[ "$f1" =~ ^[0-7]{3,4}$ ]] || rf_fail "unpack" "bundle line $lineno: bad mode '$f1'"
      [ -n "$f2" ] || rf_fail "unpack" "bundle line $lineno: missing path"
      rel="$(rf_b64_field "$lineno" path "$f2")"
      [ -n "$rel" ] || rf_fail "unpack" "bundle line $lineno: empty path"
      case "$rel" in
        /*) rf_fail "unpack" "bundle line $lineno: absolute path rejected: $rel" ;;
      esac
      if [[ "$rel" == *[[:cntrl:]]* ]]; then
        rf_fail "unpack" "bundle line $lineno: control character in path rejected"
      fi
      IFS=/ read -r -a parts <<< "$rel"
      for part in "${parts[@]}"; do
        [ "$part" != ".." ] || rf_fail "unpack" "bundle line $lineno: '..' in path rejected: $rel"
      done
      dest="$newctx/$rel"
      [ ! -d "$dest" ] || rf_fail "unpack" "bundle line $lineno: $rel is a directory"
      mkdir -p "$(dirname "$dest")"
      if [ -n "${f3:-}" ]; then
        # A write that fails (a full disk) is not bad input: say which, with the tool's reason.
        if ! printf '%s' "$f3" | base64 -d > "$dest" 2> "$work/write.err"; then
          rf_b64_field "$lineno" "content of $rel" "$f3" > /dev/null
          rf_fail "unpack" "could not write $dest: $(sed 's/^base64: //' "$work/write.err" | tail -n 1)" \
            "($(df -Pk "$newctx" | awk 'NR == 2 { print $4 }') KiB free)"
        fi
      else
        : > "$dest"
      fi
      chmod "$f1" "$dest"
      nfiles=$((nfiles + 1))
      ;;
    authfile)
      authfile="$work/auth.json"
      rf_unpack_authfile "$lineno" "$authfile" "$f1" "$f2"
      ;;
    secret)
      [ -z "$f3" ] || rf_fail "unpack" "bundle line $lineno: secret takes an id and one base64 field"
      sid="$(rf_b64_field "$lineno" "secret id" "$f1")"
      [[ "$sid" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] \
        || rf_fail "unpack" "bundle line $lineno: secret id must be plain (letters, digits, . _ -)"
      [ ! -e "$work/secrets/$sid" ] || rf_fail "unpack" "bundle line $lineno: secret $sid is given twice"
      rf_unpack_secret_file "$lineno" "secret $sid" "$work/secrets/$sid" "$f2"
      grep -v -e '^-----' -e '^[[:space:]]*$' "$work/secrets/$sid" >> "$secrets_mask" || true
      secret_args+=(--secret "id=$sid,src=$work/secrets/$sid")
      ;;
    *)
      rf_fail "unpack" "bundle line $lineno: unknown entry '$kind'"
      ;;
  esac
}
rf_read_bundle bundle on_entry
[ -f "$newctx/Containerfile" ] || rf_fail "unpack" "the bundle has no Containerfile entry"
rm -rf "$ctx"
mv "$newctx" "$ctx"
rf_log "unpacked $nfiles file(s) into $ctx"

auth_opt=()
[ -z "$authfile" ] || auth_opt=(--authfile "$authfile")
tls_opt=("--tls-verify=$RF_TLS_VERIFY")


# ---------------------------------------------------------------- reuse
rf_step "reuse"
# the first "<key>":"…" of the line: the top-level field (the sbom object repeats ref and tag)
json_field() { grep -oE "\"$1\":\"[^\"]*\"" "$2" | head -n 1 | sed -E "s/^\"$1\":\"(.*)\"$/\1/"; }
if [ -f "$result_file" ]; then
  old_ref="$(json_field ref "$result_file")"
  old_tag="$(json_field tag "$result_file")"
  old_base="$(json_field base "$result_file")"
  # a result from before SBOMs were made is not reused: the rebuild attaches one
  if [ -n "$old_ref" ] && [ "$old_tag" = "$tag" ] && [ "$old_base" = "$RF_BASE_IMAGE" ] \
    && grep -q '"sbom":{' "$result_file"; then
    if skopeo inspect --raw "${tls_opt[@]}" "${auth_opt[@]}" "docker://$old_ref" > /dev/null 2> "$work/reuse.log"; then
      rf_log "build $RF_BUILD_ID already pushed as $old_ref; not building"
      tail -n 1 "$result_file"
      exit 0
    fi
    rf_log "previous result $old_ref is not in the registry any more ($(rf_registry_why "$work/reuse.log")); rebuilding"
  else
    rf_log "previous result.json does not match this build; rebuilding"
  fi
fi

# ---------------------------------------------------------------- pull base
rf_step "pull base"
if podman image exists "$RF_BASE_IMAGE" 2>/dev/null; then
  rf_log "base image $RF_BASE_IMAGE already present"
else
  if ! rf_run_logged "$work/pull.log" "$work/nosecrets" \
    podman pull "${tls_opt[@]}" "${auth_opt[@]}" "$RF_BASE_IMAGE"; then
    rf_fail "pull base" "could not pull $RF_BASE_IMAGE: $(rf_registry_why "$work/pull.log")"
  fi
fi

# ---------------------------------------------------------------- build
rf_step "build"
count_file="$RF_ROOT/build-count"
count="$(cat "$count_file" 2>/dev/null || echo 0)"
[[ "$count" =~ ^[0-9]+$ ]] || count=0
printf '%s\n' "$((count + 1))" > "$count_file.tmp"
mv -f "$count_file.tmp" "$count_file"
# The mirror's revision keys the layers of the RUNs after the ARG (podman reuses a RUN's layer
# only when the ARG values before it match): a re-synced mirror installs its packages again.
revision_arg=()
! grep -qx 'ARG RF_MIRROR_REVISION' "$ctx/Containerfile" \
  || revision_arg=(--build-arg "RF_MIRROR_REVISION=$RF_MIRROR_REVISION")
if ! rf_run_logged "$work/build.log" "$secrets_mask" podman build "${tls_opt[@]}" "${auth_opt[@]}" \
  "${build_args[@]}" "${revision_arg[@]}" "${secret_args[@]}" --label "io.rhcos-forge.build-id=$RF_BUILD_ID" \
  -t "$tag" -f "$ctx/Containerfile" "$ctx"; then
  why="$(grep -E '^(Error|error)' "$work/build.log" | tail -n 1 | cut -c1-300 || true)"
  if [ -n "$mirror_state" ] && ! rf_mirror_alive; then
    why="the mirror server stopped during the build (the next run starts it again): ${why:-see the output above}"
  fi
  rf_fail "build" "podman build of $tag failed: ${why:-see the output above}"
fi

# ---------------------------------------------------------------- package diff (read while the push runs)
# The package diff and the SBOM come from one read of the built image's rpmdb (rf_rpm_list: one
# rpm query in the SBOM's shape, the diff's shape cut from it), taken from local storage while
# podman push uploads the layers; the SBOM needs the pushed digest, so only its push waits.
read_packages() {
  # its failures name this step; no rf_step line, which would cut the push step's time in two
  RF_STEP="package diff"
  local started
  started="$(date +%s%N)"
  # The base is pinned by digest, so its package list never changes: list it once per build host.
  base_rpms="$RF_ROOT/cache/base-rpms-v1/${RF_BASE_IMAGE##*@sha256:}"
  if [ -f "$base_rpms" ]; then
    cp "$base_rpms" "$work/base.rpms"
  else
    rf_rpm_list "$RF_BASE_IMAGE" "$work/base.rpms"
    mkdir -p "${base_rpms%/*}"
    cp "$work/base.rpms" "$base_rpms.tmp.$$" && mv -f "$base_rpms.tmp.$$" "$base_rpms"
  fi
  rf_rpm_list "$tag" "$work/new.rpms" "$work/sbom.rpms"
  rf_log "base has $(wc -l < "$work/base.rpms") packages, new image $(wc -l < "$work/new.rpms")"

  awk -F '\t' '
    FILENAME == ARGV[1] { k = $1 "\t" $2; if (k in old) old[k] = old[k] "\n" $3; else old[k] = $3; next }
    { k = $1 "\t" $2; if (k in new) new[k] = new[k] "\n" $3; else new[k] = $3 }
    END {
      for (k in new) {
        split(k, na, "\t")
        if (!(k in old)) {
          n = split(new[k], v, "\n")
          for (i = 1; i <= n; i++) print "A\t" na[1] "-" v[i] "." na[2]
        } else if (old[k] != new[k]) {
          no = split(old[k], ov, "\n"); nn = split(new[k], nv, "\n")
          if (no == 1 && nn == 1) {
            print "C\t" na[1] "\t" ov[1] "." na[2] "\t" nv[1] "." na[2]
          } else {
            delete inold; delete innew
            for (i = 1; i <= no; i++) inold[ov[i]] = 1
            for (i = 1; i <= nn; i++) innew[nv[i]] = 1
            for (i = 1; i <= nn; i++) if (!(nv[i] in inold)) print "A\t" na[1] "-" nv[i] "." na[2]
            for (i = 1; i <= no; i++) if (!(ov[i] in innew)) print "R\t" na[1] "-" ov[i] "." na[2]
          }
        }
      }
      for (k in old) {
        if (!(k in new)) {
          split(k, na, "\t")
          n = split(old[k], v, "\n")
          for (i = 1; i <= n; i++) print "R\t" na[1] "-" v[i] "." na[2]
        }
      }
    }' "$work/base.rpms" "$work/new.rpms" | LC_ALL=C sort > "$work/diff"

  created="$(podman image inspect --format '{{.Created.UTC.Format "2006-01-02T15:04:05Z"}}' "$tag" \
    2> "$work/inspect.log")" \
    || rf_fail "sbom" "podman image inspect $tag failed: $(tail -n 1 "$work/inspect.log")"
  printf '%s\n' "$created" > "$work/created"
  rf_log "package lists read in $(( ($(date +%s%N) - started) / 1000000 )) ms, beside the push"
}
read_packages &
packages_pid=$!

# ---------------------------------------------------------------- push
rf_step "push"
digestfile="$work/digest"
if ! rf_run_logged "$work/push.log" "$work/nosecrets" podman push "${tls_opt[@]}" "${auth_opt[@]}" \
  --digestfile "$digestfile" "$tag" "docker://$tag"; then
  kill "$packages_pid" 2> /dev/null || true
  wait "$packages_pid" 2> /dev/null || true
  rf_fail "push" "could not push $tag: $(rf_registry_why "$work/push.log")"
fi
digest="$(tr -d '[:space:]' < "$digestfile")"
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || rf_fail "push" "podman push reported no usable digest"
ref="$RF_IMAGE_REPO@$digest"
rf_log "pushed $tag as $ref"

rf_step "package diff"
# what is left of the read after the push; a failure there already printed its one line
wait "$packages_pid"
mapfile -t added < <(awk -F '\t' '$1 == "A" { print $2 }' "$work/diff")
mapfile -t removed < <(awk -F '\t' '$1 == "R" { print $2 }' "$work/diff")
changed_json="["
first=1
while IFS=$'\t' read -r _ name from to; do
  [ "$first" = 1 ] || changed_json+=","
  first=0
  changed_json+="{\"name\":$(rf_json_str "$name"),\"from\":$(rf_json_str "$from"),\"to\":$(rf_json_str "$to")}"
done < <(awk -F '\t' '$1 == "C"' "$work/diff")
changed_json+="]"
rf_log "packages: ${#added[@]} added, ${#removed[@]} removed, $(grep -c '^C' "$work/diff" || true) changed"

# ---------------------------------------------------------------- sbom
rf_step "sbom"
# the image's own creation time: the same image always gets the same document (and digest)
created="$(cat "$work/created")"
rf_sbom_push "$work/sbom.rpms" "$RF_IMAGE_REPO" "$digest" "$created" "$RF_BASE_IMAGE" ""
sbom_json="$RF_SBOM_JSON"

# ---------------------------------------------------------------- result
rf_step "result"
result="{\"ref\":$(rf_json_str "$ref"),\"digest\":$(rf_json_str "$digest"),\"base\":$(rf_json_str "$RF_BASE_IMAGE")"
result+=",\"tag\":$(rf_json_str "$tag"),\"packages\":{\"added\":$(rf_json_arr "${added[@]}")"
result+=",\"removed\":$(rf_json_arr "${removed[@]}"),\"changed\":$changed_json},\"sbom\":$sbom_json}"
printf '%s\n' "$result" | rf_atomic_write "$result_file" 0644 > /dev/null \
  || rf_fail "result" "could not write $result_file"
printf '%s\n' "$result"
