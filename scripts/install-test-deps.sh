#!/usr/bin/env bash
# Debian packages the test suite drives for real: etcd (the etcd datastore suite), nginx (the nginx image),
# curl and dig (traffic checks). As root they are installed; otherwise their names are printed.
set -euo pipefail
need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
# kernel proxy datapaths (src/proxy/iptables, src/proxy/nftables tests in namespaces; bench kernel-datapath)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables-restore >/dev/null 2>&1 || need+=(iptables)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
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
