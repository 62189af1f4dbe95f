#!/bin/sh
# A director container: runs floatlb as floatlb.service's ExecStart line does,
# with this container's id for the config's @d1/@d2 lines.
#   director.sh ID [floatlb run options...]
set -eu
id=$1
shift
mkdir -p /run/floatlb
exec floatlb run -f /etc/keepalived/keepalived.conf -i "$id" --pid-file /run/floatlb/floatlb.pid "$@"
