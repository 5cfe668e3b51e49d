#!/usr/bin/env bash
# Debian packages the test suite drives for real: etcd (the etcd datastore suite), nginx (the nginx image),
# curl and dig (traffic checks), chromium (the web view test), and for netns mode iproute2, iptables, nftables, conntrack and busybox-static; crun, skopeo, umoci and docker-registry for OCI images
# (kubectl debug node/... --image=busybox). As root they are installed; otherwise their names are printed.
set -euo pipefail
need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
# the web view's browser test (playwright-core drives Debian's chromium; no browser download)
command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ] || need+=(chromium)
# pod sandboxes: ip (netns, veth, bridge), nsenter/unshare/setpriv (container namespaces); netns mode's
# datapaths and tools: iptables, nft, conntrack, busybox (kubectl debug node/... --image=busybox)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || need+=(iproute2)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || need+=(iptables)
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)
command -v conntrack >/dev/null 2>&1 || [ -x /usr/sbin/conntrack ] || need+=(conntrack)
# busybox-static: the OCI test images are a static busybox in an otherwise empty rootfs (the dynamic
# `busybox` package would not run there); it also provides `busybox unshare` for netns pods' PID namespace
if ! { [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -qE 'statically linked|static-pie'; }; then need+=(busybox-static); fi
command -v file >/dev/null 2>&1 || need+=(file)
# OCI images (issue 11): skopeo copies images into the store, umoci unpacks them; the pull test runs a
# distribution registry (docker-registry) on a loopback port (policy-rc.d below keeps its service stopped)
# the oci container runtime (crun; runc would also do)
command -v crun >/dev/null 2>&1 || command -v runc >/dev/null 2>&1 || need+=(crun)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "note: tests that need these Debian packages will be skipped: ${need[*]} (install them as root)" >&2
  exit 0
fi
# never let a package start a system-wide daemon (nginx would take port 80 on every address)
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1; fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
[ "$created_policy" = 1 ] && rm -f "$policy"
exit 0
