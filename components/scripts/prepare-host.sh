#!/usr/bin/env bash
# First-boot preparation of a DigitalOcean build host, run by cloud-init (BuildHost ships it in
# user data with /etc/rhcos-forge/host.env beside it). Idempotent: safe to run again by hand.
set -euo pipefail

# shellcheck source=/dev/null
source /etc/rhcos-forge/host.env
: "${RF_ROOT:?RF_ROOT must be set in /etc/rhcos-forge/host.env}"
: "${RF_VOLUME_NAME:?RF_VOLUME_NAME must be set in /etc/rhcos-forge/host.env}"
RF_VOLUME_WAIT="${RF_VOLUME_WAIT:-600}"

fail() {
    echo "rhcos-forge prepare-host: step \"$1\" failed: $2" >&2
    exit 1
}

# The volume is attached by a separate API call (VolumeAttachment) and may appear after boot.
device="/dev/disk/by-id/scsi-0DO_Volume_${RF_VOLUME_NAME}"
waited=0
until [ -b "$device" ]; do
    [ "$waited" -lt "$RF_VOLUME_WAIT" ] || fail "volume" "$device did not appear within ${RF_VOLUME_WAIT}s"
    sleep 5
    waited=$((waited + 5))
done

mkdir -p "$RF_ROOT"
if ! blkid "$device" >/dev/null 2>&1; then
    mkfs.ext4 -q -L rhcos-forge "$device" || fail "volume" "mkfs.ext4 $device failed"
fi
if ! grep -qs " ${RF_ROOT} " /etc/fstab; then
    echo "${device} ${RF_ROOT} ext4 defaults,noatime,nofail,discard 0 2" >>/etc/fstab
fi
mountpoint -q "$RF_ROOT" || mount "$RF_ROOT" || fail "volume" "mount $device on $RF_ROOT failed"

# Container storage on the volume: RHCOS layers are GBs and the root disk is small.
mkdir -p "$RF_ROOT/containers/storage" "$RF_ROOT/mirror" "$RF_ROOT/scripts" "$RF_ROOT/builds"
mkdir -p /etc/containers
if ! grep -qs "graphroot = \"$RF_ROOT/containers/storage\"" /etc/containers/storage.conf; then
    cat >/etc/containers/storage.conf <<CONF
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "$RF_ROOT/containers/storage"
CONF
fi

dnf -y install podman buildah skopeo createrepo_c dnf-plugins-core python3 tar jq openssl \
    || fail "packages" "dnf install of the build tools failed"

# The cloud firewall guards the ports; a host firewall would also block the mirror to builds.
if systemctl is-enabled firewalld >/dev/null 2>&1; then
    systemctl disable --now firewalld || fail "firewall" "could not disable firewalld"
fi

touch "$RF_ROOT/.prepared"
echo "rhcos-forge prepare-host: ready" >&2
