#!/bin/sh
# unLinkToLB.sh -lb <LB IP> <target IP>
# makes TARGET IP a standby of the pool behind LB IP: weight 0, existing connections drain (exit 0 done, 1 failed)
set -u
case $0 in */*) ADAPT_PREFIX=${0%/*} ;; *) ADAPT_PREFIX=. ;; esac
# shellcheck disable=SC2034 # read by lib/common.sh
adapt_script=unLinkToLB.sh
# shellcheck source=lib/common.sh
. "$ADAPT_PREFIX/lib/common.sh"
adapt_main unlink "$@"
