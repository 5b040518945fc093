#!/usr/bin/env bash
# rhcos-forge cosa-build.sh
#
# A full OS build with coreos-assembler (cosa) in its container, the way
# coreos-assembler's docs run it: `cosa init` of a config git repo, the
# mirror's .repo in src/yumrepos/, `cosa fetch`, `cosa build` (the pinned
# cosa's own form of it), optional day-0 media (`cosa osbuild
# metal|metal4k|live`) published under the mirror's HTTP root, and the build's
# OCI archive copied to a registry with skopeo.
#
# The work dir persists: a step reruns only when its inputs changed. Each step
# keeps a stamp file under $RF_ROOT/state keyed by the hash of its inputs
# (config commit, repo file, variant, container, build id, repository).
#
# env:
#   RF_ROOT              work dir (default /var/lib/rhcos-forge)
#   RF_COSA_CONTAINER    coreos-assembler image, repo@sha256:<64 hex>
#   RF_COSA_DIR          cosa work dir (default $RF_ROOT/cosa; inside RF_ROOT)
#   RF_COSA_CONFIG_URL   config git URL (e.g. https://github.com/openshift/os.git)
#   RF_COSA_BRANCH       config branch (e.g. release-4.19)
#   RF_COSA_COMMIT       optional 40-hex commit pinning the config (default: branch head)
#   RF_COSA_VARIANT      optional `cosa init --variant` (e.g. rhel-9.6, c9s)
#   RF_IMAGE_REPO        push repository without tag; the tag is the cosa build id
#   RF_COSA_ARTIFACTS    space-separated subset of: metal metal4k live
#   RF_ARTIFACTS_DIR     where media are published (default $RF_ROOT/mirror/artifacts; inside RF_ROOT)
#   RF_KVM_DEVICE        KVM device (default /dev/kvm)
#   RF_TLS_VERIFY        true (default) | false: TLS for the push and the digest read-back
#
# stdin, one entry per line:
#   rhcos-forge-cosa v1
#   repofile <base64 of a dnf .repo file pointing at the mirror; may be empty>
#   authfile <base64 of a containers auth.json>        (optional)
#
# stdout (last line):
#   {"ref":"<repo>@sha256:…","digest":"sha256:…","tag":"<repo>:<build id>",
#    "buildId":"…","configCommit":"<40 hex>","artifacts":[{"platform":…,
#    "name":…,"path":"artifacts/<build id>/<file>","sha256":…,"size":N}],
#    "ran":["fetch","build",…]}
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib-registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-registry.sh"
rf_init 022 RF_ROOT=/var/lib/rhcos-forge RF_COSA_CONTAINER= RF_COSA_CONFIG_URL= RF_COSA_BRANCH= \
  RF_COSA_COMMIT= RF_COSA_VARIANT= RF_IMAGE_REPO= RF_COSA_ARTIFACTS= RF_KVM_DEVICE=/dev/kvm RF_TLS_VERIFY=true
RF_STAMP_VERSION="cosa-build v1"
RF_COSA_DIR="${RF_COSA_DIR:-$RF_ROOT/cosa}"
RF_ARTIFACTS_DIR="${RF_ARTIFACTS_DIR:-$RF_ROOT/mirror/artifacts}"

CONTAINER_AUTHFILE="/run/rhcos-forge/auth.json"
REPO_FILE_NAME="rhcos-forge-mirror.repo"

# ---------------------------------------------------------------- arguments
rf_step "arguments"
[[ "$RF_COSA_CONTAINER" =~ ^[A-Za-z0-9][A-Za-z0-9._:/-]*@sha256:[0-9a-f]{64}$ ]] \
  || rf_fail "arguments" "RF_COSA_CONTAINER must be the coreos-assembler image pinned by digest" \
    "(repo@sha256:<64 hex>), got: '$RF_COSA_CONTAINER'"
[[ "$RF_COSA_CONFIG_URL" =~ ^(https?|git|ssh)://[][A-Za-z0-9._~:/?#@!+,=%-]+$ ]] \
  || rf_fail "arguments" "RF_COSA_CONFIG_URL must be a git URL (https://, git:// or ssh://), got: '$RF_COSA_CONFIG_URL'"
{ [[ "$RF_COSA_BRANCH" =~ ^[A-Za-z0-9][A-Za-z0-9._/-]*$ ]] && [[ "$RF_COSA_BRANCH" != *..* ]]; } \
  || rf_fail "arguments" "RF_COSA_BRANCH must be a git branch name, got: '$RF_COSA_BRANCH'"
[ -z "$RF_COSA_COMMIT" ] || [[ "$RF_COSA_COMMIT" =~ ^[0-9a-f]{40}$ ]] \
  || rf_fail "arguments" "RF_COSA_COMMIT must be a full 40-hex commit id, got: '$RF_COSA_COMMIT'"
[ -z "$RF_COSA_VARIANT" ] || [[ "$RF_COSA_VARIANT" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] \
  || rf_fail "arguments" "RF_COSA_VARIANT must be a variant name such as rhel-9.6 or c9s, got: '$RF_COSA_VARIANT'"
{ [[ "$RF_IMAGE_REPO" =~ ^[A-Za-z0-9][A-Za-z0-9._:/-]*$ ]] && [[ "${RF_IMAGE_REPO##*/}" != *:* ]] \
  && [[ "$RF_IMAGE_REPO" == */* ]]; } \
  || rf_fail "arguments" "RF_IMAGE_REPO must be a registry repository without tag or digest, got: '$RF_IMAGE_REPO'"
read -r -a platforms <<< "$RF_COSA_ARTIFACTS"
for p in "${platforms[@]}"; do
  case "$p" in
    metal|metal4k|live) ;;
    *) rf_fail "arguments" "RF_COSA_ARTIFACTS may only list metal, metal4k and live, got: '$p'" ;;
  esac
done
# The work directories live in the work dir: cosa rewrites RF_COSA_DIR/src and media are
# published (and replaced) under RF_ARTIFACTS_DIR.
rf_require_path RF_ROOT "$RF_ROOT"
rf_require_path RF_COSA_DIR "$RF_COSA_DIR" "$RF_ROOT"
rf_require_path RF_ARTIFACTS_DIR "$RF_ARTIFACTS_DIR" "$RF_ROOT"
rf_require_path RF_KVM_DEVICE "$RF_KVM_DEVICE"
rf_require_bool RF_TLS_VERIFY "$RF_TLS_VERIFY"
RF_TLS_VERIFY="$(rf_bool "$RF_TLS_VERIFY")"

# ---------------------------------------------------------------- kvm
# coreos-assembler composes and writes disk images inside a supermin/qemu VM.
# Without KVM it cannot build at all (TCG emulation is not supported).
rf_step "kvm"
if [ ! -e "$RF_KVM_DEVICE" ]; then
  rf_fail "kvm" "$RF_KVM_DEVICE does not exist: coreos-assembler needs KVM." \
    "On a cloud VM enable nested virtualization (or pick an instance type that offers it, or a bare-metal host);" \
    "on a KVM hypervisor load kvm_intel/kvm_amd with nested=1"
fi
if [ ! -c "$RF_KVM_DEVICE" ] || [ ! -r "$RF_KVM_DEVICE" ] || [ ! -w "$RF_KVM_DEVICE" ]; then
  rf_fail "kvm" "$RF_KVM_DEVICE is not a character device this user can read and write:" \
    "coreos-assembler needs KVM (check nested virtualization and the device permissions)"
fi

# ---------------------------------------------------------------- tools
rf_step "tools"
rf_need podman python3 sha256sum base64 awk

state_dir="$RF_ROOT/state"
mkdir -p "$state_dir" "$RF_COSA_DIR"
chmod 0700 "$state_dir"
rf_work_dir

# ---------------------------------------------------------------- unpack
rf_step "unpack"
repofile="$work/$REPO_FILE_NAME"
: > "$repofile"
authfile=""
on_entry() {
  local lineno="$1" kind="$2" f1="${3:-}"
  [ -z "${4:-}" ] || rf_fail "unpack" "bundle line $lineno: too many fields"
  case "$kind" in
    repofile) (umask 077 && rf_b64_field "$lineno" repofile "$f1" > "$repofile") ;;
    authfile)
      authfile="$work/auth.json"
      rf_unpack_authfile "$lineno" "$authfile" "$f1"
      ;;
    *) rf_fail "unpack" "bundle line $lineno: unknown entry '$kind'" ;;
  esac
}
rf_read_bundle cosa on_entry

# Tool output is masked with the auth's credentials, in case a tool ever echoes them, and with
# the mirror's password (basic auth: the repo file's password= lines).
secrets="$work/secrets"
rf_auth_secrets "$authfile" "$secrets"
sed -nE 's/^password=(.+)$/\1/p' "$repofile" >> "$secrets"

# ---------------------------------------------------------------- cosa
# cosa <args…>: one coreos-assembler command in its container (coreos-assembler
# docs/building-fcos.md). Rootful podman maps the container's `builder` user
# (uid 1000) to root so the work dir stays owned by root on the host; rootless
# podman keeps the caller's uid as builder. --net=host: the mirror is served on
# the host, and `cosa fetch` reaches it at the host's own address.
cosa_userns=()
if [ "$(id -u)" = 0 ]; then
  cosa_userns=(--uidmap 1000:0:1 --uidmap 0:1:1000 --uidmap 1001:1001:64536)
else
  cosa_userns=(--userns "keep-id:uid=1000,gid=1000")
fi
cosa_auth=()
[ -z "$authfile" ] || cosa_auth=(-v "$authfile:$CONTAINER_AUTHFILE:ro" -e "REGISTRY_AUTH_FILE=$CONTAINER_AUTHFILE")

cosa_cmd() {
  podman run --rm --privileged --security-opt label=disable --net=host \
    "${cosa_userns[@]}" \
    -v "$RF_COSA_DIR:/srv/" --device "$RF_KVM_DEVICE:/dev/kvm" --device /dev/fuse \
    --tmpfs /tmp -v /var/tmp:/var/tmp \
    "${cosa_auth[@]}" \
    --name rhcos-forge-cosa --replace \
    "$RF_COSA_CONTAINER" "$@"
}

# cosa_step <step> <why prefix> <cosa args…>: run, log masked, fail with a reason.
cosa_step() {
  local step="$1" what="$2" log
  shift 2
  log="$work/$(printf '%s' "$step" | tr -c 'A-Za-z0-9' '_').log"
  if ! rf_run_logged "$log" "$secrets" cosa_cmd "$@"; then
    local why
    why="$(grep -E '(^|[^A-Za-z])(error|Error|ERROR|fatal|FATAL)' "$log" | tail -n 1 | cut -c1-300 || true)"
    [ -n "$why" ] || why="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-300 || true)"
    rf_fail "$step" "$what: ${why:-see the output above}"
  fi
}

stamp_get() { cat "$state_dir/cosa-$1.stamp" 2>/dev/null || true; }
stamp_set() {
  printf '%s\n' "$2" > "$state_dir/cosa-$1.stamp.tmp" && mv -f "$state_dir/cosa-$1.stamp.tmp" "$state_dir/cosa-$1.stamp"
}
hash_of() { printf '%s\n' "$RF_STAMP_VERSION" "$@" | rf_sha256_stdin; }
ran=()

# ---------------------------------------------------------------- container
rf_step "container"
if podman image exists "$RF_COSA_CONTAINER" 2>/dev/null; then
  rf_log "coreos-assembler image already present"
else
  pull_auth=()
  [ -z "$authfile" ] || pull_auth=(--authfile "$authfile")
  if ! rf_run_logged "$work/pull.log" "$secrets" podman pull "${pull_auth[@]}" "$RF_COSA_CONTAINER"; then
    rf_fail "container" \
      "could not pull $RF_COSA_CONTAINER: $(grep -v '^[[:space:]]*$' "$work/pull.log" | tail -n 1 | cut -c1-300)"
  fi
fi

# ---------------------------------------------------------------- init
# A different config URL, branch or variant is a different OS: the checkout is
# made again (cache/ and builds/ stay).
rf_step "init"
init_key="$(hash_of init "$RF_COSA_CONFIG_URL" "$RF_COSA_BRANCH" "$RF_COSA_VARIANT")"
if [ "$(stamp_get init)" != "$init_key" ] || [ ! -d "$RF_COSA_DIR/src/config" ]; then
  rm -rf "$RF_COSA_DIR/src"
  init_args=(init --force --branch "$RF_COSA_BRANCH")
  [ -z "$RF_COSA_VARIANT" ] || init_args+=(--variant "$RF_COSA_VARIANT")
  cosa_step "init" "cosa init of $RF_COSA_CONFIG_URL ($RF_COSA_BRANCH) failed" "${init_args[@]}" "$RF_COSA_CONFIG_URL"
  stamp_set init "$init_key"
  ran+=(init)
else
  rf_log "config checkout of $RF_COSA_CONFIG_URL ($RF_COSA_BRANCH) already present"
fi

# ---------------------------------------------------------------- config
# Bring the checkout to the pinned commit or the branch head (with submodules:
# openshift/os carries fedora-coreos-config as one) and record the commit.
rf_step "config"
want_ref="${RF_COSA_COMMIT:-$RF_COSA_BRANCH}"
# shellcheck disable=SC2016 # expanded by the shell inside the container
git_script='set -euo pipefail
cd /srv/src/config
git fetch --quiet origin "$1" >&2
git -c advice.detachedHead=false checkout --quiet --detach FETCH_HEAD >&2
git submodule --quiet update --init --recursive >&2
git rev-parse HEAD'
if ! cosa_cmd shell -- bash -c "$git_script" rhcos-forge-config "$want_ref" > "$work/commit" 2> "$work/config.log"; then
  rf_mask "$secrets" < "$work/config.log" >&2
  rf_fail "config" "could not check out $want_ref of $RF_COSA_CONFIG_URL:" \
    "$(grep -v '^[[:space:]]*$' "$work/config.log" | tail -n 1 | cut -c1-300)"
fi
config_commit="$(grep -E '^[0-9a-f]{40}$' "$work/commit" | tail -n 1 || true)"
[ -n "$config_commit" ] || rf_fail "config" "git did not report the checked-out commit"
if [ -n "$RF_COSA_COMMIT" ] && [ "$config_commit" != "$RF_COSA_COMMIT" ]; then
  rf_fail "config" "checked out $config_commit, expected the pinned $RF_COSA_COMMIT"
fi
rf_log "config at $config_commit"

# ---------------------------------------------------------------- repos
# The mirror goes where every cosa reads repo files (coreos/coreos-assembler):
# the rpm-ostree builds of the rhcos-4.x and rhel-9.6 branches copy each *.repo
# of src/config/ and src/yumrepos/ next to the manifest (src/cmdlib.sh
# prepare_build); the buildah build of main (src/cmd-build since 939d4fb77)
# gets only src/yumrepos/<variant, else the STREAM of build-args.conf>.repo and
# src/yumrepos/content_sets.yaml, as build secrets. src/yumrepos/ is also where
# `cosa init --yumrepos` puts them (src/cmd-init); the checkout stays as cloned.
rf_step "repos"
config_dir="$RF_COSA_DIR/src/config"
yum_dir="$RF_COSA_DIR/src/yumrepos"
# An older rhcos-forge wrote the mirror into the checkout: read twice, the ids would clash.
rm -f "$config_dir/$REPO_FILE_NAME"
rm -rf "$yum_dir"
if [ -s "$repofile" ]; then
  # cosa init treats --variant default as none (src/cmd-init).
  variant="$RF_COSA_VARIANT"
  [ "$variant" != default ] || variant=""
  stream=""
  if [ -z "$variant" ] && [ -f "$config_dir/build-args.conf" ]; then
    stream="$(sed -nE "s/^STREAM=[\"']?([A-Za-z0-9._-]+)[\"']?[[:space:]]*$/\\1/p" "$config_dir/build-args.conf" \
      | tail -n 1)"
  fi
  yum_name="${variant:-${stream:-rhcos-forge-mirror}}.repo"
  mkdir -p "$yum_dir"
  # 0600: with the mirror's basic auth it holds the password.
  rf_atomic_write "$yum_dir/$yum_name" 0600 < "$repofile" > /dev/null \
    || rf_fail "repos" "could not write $yum_dir/$yum_name"
  # The buildah build mounts content_sets.yaml whenever the .repo is there; an empty mapping is
  # what the rpm-ostree build's reader (create_content_manifest) accepts as "no content sets".
  if compgen -G "$config_dir/build-args*.conf" > /dev/null; then
    printf 'repo_mapping: {}\n' | rf_atomic_write "$yum_dir/content_sets.yaml" 0644 > /dev/null \
      || rf_fail "repos" "could not write $yum_dir/content_sets.yaml"
  fi
  rf_log "mirror repos in src/yumrepos/$yum_name: $(sed -nE 's/^\[([^]]+)\]$/\1/p' "$repofile" | tr '\n' ' ')"
else
  rf_log "no mirror repos; the config's own repo files are used"
fi
# Without the password: a rotated one refetches nothing.
repo_hash="$({ grep -v '^password=' "$repofile" || true; } | rf_sha256_stdin)"

# ---------------------------------------------------------------- fetch
rf_step "fetch"
fetch_key="$(hash_of fetch "$RF_COSA_CONTAINER" "$config_commit" "$RF_COSA_VARIANT" "$repo_hash")"
if [ "$(stamp_get fetch)" = "$fetch_key" ]; then
  rf_log "packages already fetched for these inputs"
else
  cosa_step "fetch" "cosa fetch failed (are the repos the manifest names in the mirror?)" fetch
  stamp_set fetch "$fetch_key"
  ran+=(fetch)
fi

# ---------------------------------------------------------------- build
# Only the OS container is built here; disk images come from `cosa osbuild`
# below when media are asked for. The command is the pinned cosa's own
# (coreos/coreos-assembler src/cmd-build): on rhcos-4.16 … rhcos-4.18 it takes
# TARGETs, `ostree` being a "Deprecated alias for container" and no target
# meaning qemu as well, so `build container`; on rhel-9.6 and main `build`
# makes the container and takes no target (rhel-9.6 keeps ostree/container for
# "backwards compat", main ignores them). Only the first lists the container
# TARGET in its help.
rf_step "build"
build_command() {
  local help
  help="$(cosa_cmd build --help 2>&1 || true)"
  if grep -qE '^[[:space:]]*- container[[:space:]]' <<< "$help"; then
    echo "build container"
  else
    echo "build"
  fi
}
latest_build() {
  python3 -c 'import json,sys
b = json.load(open(sys.argv[1])).get("builds", [])
print(b[0]["id"] if b else "")' "$RF_COSA_DIR/builds/builds.json" 2>/dev/null || true
}
build_key="$(hash_of build "$fetch_key")"
build_stamp="$(stamp_get build)"
build_id=""
if [ "${build_stamp%% *}" = "$build_key" ] && [ -d "$RF_COSA_DIR/builds/${build_stamp#* }" ]; then
  build_id="${build_stamp#* }"
  rf_log "build $build_id already made from these inputs"
else
  read -r -a build_args <<< "$(build_command)"
  rf_log "cosa ${build_args[*]}"
  cosa_step "build" "cosa ${build_args[*]} failed" "${build_args[@]}"
  build_id="$(latest_build)"
  stamp_set build "$build_key $build_id"
  ran+=(build)
fi
[[ "$build_id" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] \
  || rf_fail "build" "cosa reported no usable build id in builds/builds.json (got '$build_id')"
arch="$(uname -m)"
build_dir="$RF_COSA_DIR/builds/$build_id/$arch"
rf_log "build $build_id ($arch)"

# ---------------------------------------------------------------- artifacts
# image_field <image key> <field>: a field of meta.json images.<key>.
image_field() {
  python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))
print(m.get("images", {}).get(sys.argv[2], {}).get(sys.argv[3], ""))' \
    "$build_dir/meta.json" "$1" "$2" 2>/dev/null || true
}
images_of() {
  case "$1" in
    metal) echo metal ;;
    metal4k) echo metal4k ;;
    live) echo live-iso live-kernel live-initramfs live-rootfs ;;
  esac
}
if [ "${#platforms[@]}" -gt 0 ]; then
  rf_step "artifacts"
  missing=()
  for p in "${platforms[@]}"; do
    have=true
    for img in $(images_of "$p"); do
      f="$(image_field "$img" path)"
      { [ -n "$f" ] && [ -f "$build_dir/$f" ]; } || have=false
    done
    [ "$have" = true ] || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    cosa_step "artifacts" "cosa osbuild ${missing[*]} failed" osbuild "${missing[@]}"
    ran+=(artifacts)
  else
    rf_log "media already built: ${platforms[*]}"
  fi
fi

# ---------------------------------------------------------------- publish
# Media go under the mirror's HTTP root (hard links when on the same file
# system). SHA256SUMS is written once per file and served next to them.
artifacts_json="["
if [ "${#platforms[@]}" -gt 0 ]; then
  rf_step "publish"
  pub_dir="$RF_ARTIFACTS_DIR/$build_id"
  mkdir -p "$pub_dir"
  sums="$pub_dir/SHA256SUMS"
  touch "$sums"
  first=1
  for p in "${platforms[@]}"; do
    for img in $(images_of "$p"); do
      f="$(image_field "$img" path)"
      [[ -n "$f" && "$f" != */* ]] || rf_fail "publish" "meta.json of $build_id has no usable path for $img"
      [ -f "$build_dir/$f" ] || rf_fail "publish" "cosa did not produce $build_dir/$f"
      size="$(stat -c %s "$build_dir/$f")"
      dest="$pub_dir/$f"
      # Same file (hard link) or same size and mtime (copy with -p): already published.
      if ! [ "$build_dir/$f" -ef "$dest" ] \
        && [ "$(stat -c '%s %Y' "$dest" 2>/dev/null || true)" != "$(stat -c '%s %Y' "$build_dir/$f")" ]; then
        rm -f "$dest"
        ln "$build_dir/$f" "$dest" 2>/dev/null || cp -p --reflink=auto "$build_dir/$f" "$dest" \
          || rf_fail "publish" "could not copy $f to $pub_dir"
        chmod 0644 "$dest"
        awk -v f="$f" '$2 != f && $2 != "*" f' "$sums" > "$sums.tmp" && mv -f "$sums.tmp" "$sums"
      fi
      sum="$(awk -v f="$f" '$2 == f { print $1 }' "$sums" | head -n 1)"
      if [ -z "$sum" ]; then
        sum="$(sha256sum "$dest" | cut -d' ' -f1)"
        printf '%s  %s\n' "$sum" "$f" >> "$sums"
      fi
      [ "$first" = 1 ] || artifacts_json+=","
      first=0
      artifacts_json+="{\"platform\":$(rf_json_str "$p"),\"name\":$(rf_json_str "$img")"
      artifacts_json+=",\"path\":$(rf_json_str "artifacts/$build_id/$f")"
      artifacts_json+=",\"sha256\":$(rf_json_str "$sum"),\"size\":$size}"
      rf_log "published $img: $dest"
    done
  done
fi
artifacts_json+="]"

# ---------------------------------------------------------------- push
# skopeo copies the build's OCI archive (meta.json images.ostree) inside the
# cosa container. Not `cosa push-container`: it splits NAME[:TAG] with
# rsplit(':') (src/cmd-push-container on main, rhel-9.6, rhcos-4.16 … 4.18),
# so with a registry port "<host>:<port>/org/rhcos:<tag>" fails to unpack and
# "<host>:<port>/org/rhcos" is pushed as :latest with the image name "<host>".
rf_step "push"
tag="$RF_IMAGE_REPO:$build_id"
push_key="$(hash_of push "$build_key" "$build_id" "$RF_IMAGE_REPO")"
push_stamp="$(stamp_get push)"
digest=""
skopeo_auth=()
[ -z "$authfile" ] || skopeo_auth=(--authfile "$CONTAINER_AUTHFILE")
inspect_digest() {
  cosa_cmd shell -- skopeo inspect "--tls-verify=$RF_TLS_VERIFY" "${skopeo_auth[@]}" \
    --format '{{.Digest}}' "docker://$1" 2> "$work/inspect.log" \
    | tr -d '[:space:]'
}
if [ "${push_stamp%% *}" = "$push_key" ]; then
  old="${push_stamp#* }"
  if [ "$(inspect_digest "$RF_IMAGE_REPO@$old" || true)" = "$old" ]; then
    digest="$old"
    rf_log "build $build_id already pushed as $RF_IMAGE_REPO@$digest"
  else
    rf_log "previous push $RF_IMAGE_REPO@$old is not in the registry any more; pushing again"
  fi
fi
if [ -z "$digest" ]; then
  archive="$(image_field ostree path)"
  [[ -n "$archive" && "$archive" != */* ]] \
    || rf_fail "push" "meta.json of $build_id names no OCI archive (images.ostree.path)"
  [ -f "$build_dir/$archive" ] || rf_fail "push" "cosa did not produce $build_dir/$archive"
  mkdir -p "$RF_COSA_DIR/tmp"
  rm -f "$RF_COSA_DIR/tmp/rhcos-forge-push.digest"
  cosa_step "push" "pushing $tag failed" shell -- skopeo copy "--dest-tls-verify=$RF_TLS_VERIFY" "${skopeo_auth[@]}" \
    --digestfile /srv/tmp/rhcos-forge-push.digest "oci-archive:/srv/builds/$build_id/$arch/$archive" "docker://$tag"
  pushed="$(tr -d '[:space:]' < "$RF_COSA_DIR/tmp/rhcos-forge-push.digest" 2>/dev/null || true)"
  [[ "$pushed" =~ ^sha256:[0-9a-f]{64}$ ]] || rf_fail "push" "skopeo copy reported no usable digest for $tag"
  digest="$(inspect_digest "$tag" || true)"
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] \
    || rf_fail "push" "could not read the digest of $tag back from the registry:" \
      "$(rf_mask "$secrets" < "$work/inspect.log" | tail -n 1 | cut -c1-300)"
  [ "$digest" = "$pushed" ] || rf_fail "push" "the registry reports $digest for $tag, skopeo pushed $pushed"
  stamp_set push "$push_key $digest"
  ran+=(push)
fi
ref="$RF_IMAGE_REPO@$digest"
rf_log "OS image $ref"

# ---------------------------------------------------------------- result
rf_step "result"
printf '{"ref":%s,"digest":%s,"tag":%s,"buildId":%s,"configCommit":%s,"artifacts":%s,"ran":%s}\n' \
  "$(rf_json_str "$ref")" "$(rf_json_str "$digest")" "$(rf_json_str "$tag")" "$(rf_json_str "$build_id")" \
  "$(rf_json_str "$config_commit")" "$artifacts_json" "$(rf_json_arr "${ran[@]}")"
