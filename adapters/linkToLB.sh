#!/bin/sh
# linkToLB.sh -lb <LB IP> <target IP>
# makes TARGET IP the active member of the pool behind LB IP (exit 0 done, 1 failed)
set -u
case $0 in */*) ADAPT_PREFIX=${0%/*} ;; *) ADAPT_PREFIX=. ;; esac
# shellcheck disable=SC2034 # read by lib/common.sh
adapt_script=linkToLB.sh
# shellcheck source=lib/common.sh
. "$ADAPT_PREFIX/lib/common.sh"
adapt_main link "$@"
