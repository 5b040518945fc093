#!/usr/bin/env bash
# rhcos-forge RPMs and SBOM of an image. Sourced (with lib-registry.sh, lib-bundle.sh and
# lib.sh) by build-image.sh and sbom-image.sh:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib-sbom.sh"
# shellcheck shell=bash

set -Eeuo pipefail

# shellcheck source-path=SCRIPTDIR source=lib-registry.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-registry.sh"

# One implementation for build-image.sh (the layered image, before and after its build) and
# sbom-image.sh (a pushed image it pulls, e.g. a cosa build): the same rpm query, the same SPDX
# document, the same attachment. They use the caller's $work, $RF_TLS_VERIFY and auth_opt array,
# and fail the caller's current step.

# rf_resolve_in_root <root> <path>: follow symlinks of path inside root
rf_resolve_in_root() {
  local root="$1" p="$2" i t
  for ((i = 0; i < 8; i++)); do
    if [ -L "$root/$p" ]; then
      t="$(readlink "$root/$p")"
      case "$t" in
        /*) p="${t#/}" ;;
        *) p="$(dirname "$p")/$t" ;;
      esac
    else
      break
    fi
  done
  printf '%s/%s' "$root" "$p"
}

# rf_rpm_list <image> <out> [sbom out]: "name<TAB>arch<TAB>[epoch:]version-release" lines of the
# image's rpmdb (podman image mount); with <sbom out>, also
# "name<TAB>epoch<TAB>version<TAB>release<TAB>arch<TAB>license<TAB>sourcerpm" lines
rf_rpm_list() {
  local image="$1" out="$2" sbom_out="${3:-}" mnt cand dbdir="" copy
  mnt="$(podman image mount "$image" 2> "$work/mount.log")" \
    || rf_fail "$RF_STEP" "podman image mount $image failed: $(tail -n 1 "$work/mount.log")"
  rf_on_exit "podman image unmount '$image' >/dev/null 2>&1"
  for cand in usr/share/rpm var/lib/rpm usr/lib/sysimage/rpm; do
    cand="$(rf_resolve_in_root "$mnt" "$cand")"
    if [ -e "$cand/rpmdb.sqlite" ] || [ -e "$cand/Packages" ] || [ -e "$cand/Packages.db" ]; then
      dbdir="$cand"
      break
    fi
  done
  copy="$work/rpmdb.$RANDOM$RANDOM"
  mkdir -p "$copy"
  if [ -n "$dbdir" ]; then
    # query a copy: never let rpm/sqlite write into the image's storage
    cp -a "$dbdir/." "$copy/"
  fi
  podman image unmount "$image" > /dev/null 2>&1 || true
  if [ -z "$dbdir" ]; then
    rf_log "no rpm database found in $image; treating it as having no packages"
    : > "$out"
    [ -z "$sbom_out" ] || : > "$sbom_out"
    return 0
  fi
  # One query in the SBOM's shape; the diff's shape is cut from it.
  local qf='%{NAME}\t%|EPOCH?{%{EPOCH}}:{}|\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{LICENSE}\t%{SOURCERPM}\n'
  rpm --dbpath "$copy" -qa --qf "$qf" \
    2> "$work/rpm.log" | { grep -v '^gpg-pubkey	' || true; } | LC_ALL=C sort > "$work/rpmqa.$$" \
    || rf_fail "$RF_STEP" "rpm -qa on the rpm database of $image failed: $(tail -n 1 "$work/rpm.log")"
  awk -F '\t' -v OFS='\t' '{ print $1, $5, ($2 == "" ? "" : $2 ":") $3 "-" $4 }' "$work/rpmqa.$$" \
    | LC_ALL=C sort > "$out"
  if [ -n "$sbom_out" ]; then mv -f "$work/rpmqa.$$" "$sbom_out"; else rm -f "$work/rpmqa.$$"; fi
  rm -rf "$copy"
}

# rf_sbom_push <rpms (rf_rpm_list's sbom out)> <repo> <digest> <created> <base ref|""> <source|"">:
# renders the SPDX 2.3 document of <repo>@<digest> (every RPM: name, epoch, version, release,
# arch, the RPM License tag, source RPM; the base image by digest as its origin, DESCENDANT_OF;
# <source>, "<git url>@<commit>", as what it was GENERATED_FROM) and pushes it to the repository
# as an OCI artifact whose subject is the image, tagged sha256-<hex>.sbom. podman 4.3 / skopeo 1.9
# cannot push to the OCI 1.1 referrers API and docker-registry 2.8 does not serve it, hence
# cosign's tag convention; a registry with referrers support also lists it through its subject.
# Sets RF_SBOM_JSON to {"ref":…,"digest":…,"tag":…,"packages":<n>}.
# shellcheck disable=SC2154 # auth_opt is the caller's
rf_sbom_push() {
  local rpms="$1" repo="$2" digest="$3" created="$4" base="$5" source="$6"
  local started sbom npkgs lay empty_digest empty_size doc_digest doc_size sbom_digest sbom_tag
  rf_need jq skopeo
  started="$(date +%s%N)"
  sbom="$work/sbom.spdx.json"
  jq -n --rawfile rpms "$rpms" --arg repo "$repo" --arg digest "$digest" \
    --arg base "$base" --arg source "$source" --arg created "$created" --arg creator "Tool: rhcos-forge $RF_SCRIPT.sh" '
    def oci_purl($r; $d): "pkg:oci/\($r | split("/") | last)@\($d | sub(":"; "%3A"))?repository_url=\($r | @uri)";
    def pkg($id; $name; $version): {SPDXID: $id, name: $name, versionInfo: $version, downloadLocation: "NOASSERTION",
      filesAnalyzed: false, licenseConcluded: "NOASSERTION", licenseDeclared: "NOASSERTION",
      copyrightText: "NOASSERTION"};
    ($rpms | split("\n") | map(select(length > 0) | split("\t"))) as $rows
    | ($rows | to_entries | map(.key as $i | .value as [$n, $e, $v, $r, $a, $l, $s]
        | pkg("SPDXRef-rpm-\($i)"; $n; (if $e == "" then "" else "\($e):" end) + "\($v)-\($r)")
        + {supplier: "NOASSERTION", sourceInfo: "built from source RPM \($s)",
           licenseComments: "RPM License tag: \($l)",
           externalRefs: [{referenceCategory: "PACKAGE-MANAGER", referenceType: "purl",
             referenceLocator: ("pkg:rpm/\($n | @uri)@\($v)-\($r)?arch=\($a)"
               + (if $e == "" then "" else "&epoch=\($e)" end) + "&upstream=\($s | @uri)")}]})) as $packages
    | (if $base == "" then [] else ($base | split("@")) as $b | [pkg("SPDXRef-base"; $b[0]; $b[1])
        + {primaryPackagePurpose: "CONTAINER", comment: "the base image the build started FROM",
           externalRefs: [{referenceCategory: "PACKAGE-MANAGER", referenceType: "purl",
             referenceLocator: oci_purl($b[0]; $b[1])}]}] end) as $origin
    | (if $source == "" then [] else [pkg("SPDXRef-source"; ($source | sub("@[^@]*$"; "")); ($source | sub("^.*@"; "")))
        + {primaryPackagePurpose: "SOURCE", downloadLocation: "git+\($source)",
           comment: "the OS config the image was built from"}] end) as $sources
    | {
        spdxVersion: "SPDX-2.3", dataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
        name: "\($repo)@\($digest)",
        documentNamespace: "https://rhcos-forge.invalid/spdx/\($repo | @uri)/\($digest)",
        creationInfo: {created: $created, creators: [$creator]},
        documentDescribes: ["SPDXRef-image"],
        packages: ([
          pkg("SPDXRef-image"; $repo; $digest) + {primaryPackagePurpose: "CONTAINER",
            externalRefs: [{referenceCategory: "PACKAGE-MANAGER", referenceType: "purl",
              referenceLocator: oci_purl($repo; $digest)}]}
        ] + $origin + $sources + $packages),
        relationships: ([
          {spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: "SPDXRef-image"}
        ] + ($origin | map({spdxElementId: "SPDXRef-image", relationshipType: "DESCENDANT_OF",
              relatedSpdxElement: .SPDXID}))
          + ($sources | map({spdxElementId: "SPDXRef-image", relationshipType: "GENERATED_FROM",
              relatedSpdxElement: .SPDXID}))
          + ($packages | map({spdxElementId: "SPDXRef-image", relationshipType: "CONTAINS",
              relatedSpdxElement: .SPDXID})))
      }' > "$sbom" || rf_fail "$RF_STEP" "could not render the SPDX document"
  # one SPDX package per non-empty line of the list (no second jq pass over the document)
  npkgs="$(grep -c . "$rpms" || true)"

  # the artifact: an OCI layout holding the document, pushed by skopeo as it is (no conversion)
  lay="$work/sbom-layout"
  mkdir -p "$lay/blobs/sha256"
  printf '{}' > "$work/empty.json"
  read -r empty_digest empty_size < <(rf_oci_add_blob "$lay" "$work/empty.json")
  read -r doc_digest doc_size < <(rf_oci_add_blob "$lay" "$sbom")
  skopeo inspect --raw "--tls-verify=$RF_TLS_VERIFY" "${auth_opt[@]}" "docker://$repo@$digest" \
    > "$work/image.manifest" 2> "$work/inspect.log" \
    || rf_fail "$RF_STEP" "could not read the manifest of $repo@$digest: $(rf_registry_why "$work/inspect.log")"
  jq -cn --arg ed "$empty_digest" --argjson es "$empty_size" --arg dd "$doc_digest" --argjson ds "$doc_size" \
    --arg mt "$(jq -r '.mediaType // "application/vnd.oci.image.manifest.v1+json"' "$work/image.manifest")" \
    --arg d "$digest" --argjson s "$(stat -c %s "$work/image.manifest")" --arg created "$created" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", artifactType: "application/spdx+json",
      config: {mediaType: "application/vnd.oci.empty.v1+json", digest: $ed, size: $es},
      layers: [{mediaType: "application/spdx+json", digest: $dd, size: $ds,
        annotations: {"org.opencontainers.image.title": "sbom.spdx.json"}}],
      subject: {mediaType: $mt, digest: $d, size: $s},
      annotations: {"org.opencontainers.image.created": $created}}' > "$work/sbom.manifest"
  read -r sbom_digest _ < <(rf_oci_index "$lay" "$work/sbom.manifest" sbom)
  sbom_tag="$repo:${digest/:/-}.sbom"
  : > "$work/sbom.nosecrets"
  if ! rf_run_logged "$work/sbom-push.log" "$work/sbom.nosecrets" \
    skopeo --insecure-policy copy --quiet --preserve-digests \
    "--dest-tls-verify=$RF_TLS_VERIFY" "${auth_opt[@]}" "oci:$lay:sbom" "docker://$sbom_tag"; then
    rf_fail "$RF_STEP" "could not push $sbom_tag: $(rf_registry_why "$work/sbom-push.log")"
  fi
  # shellcheck disable=SC2034 # read by the caller
  RF_SBOM_JSON="{\"ref\":$(rf_json_str "$repo@$sbom_digest"),\"digest\":$(rf_json_str "$sbom_digest")"
  RF_SBOM_JSON+=",\"tag\":$(rf_json_str "$sbom_tag"),\"packages\":$npkgs}"
  rf_log "SBOM ($npkgs RPMs, SPDX 2.3) pushed as $sbom_tag ($sbom_digest)" \
    "in $(( ($(date +%s%N) - started) / 1000000 )) ms"
}
