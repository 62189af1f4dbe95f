#!/bin/sh
# checkLB.sh -lb <LB IP> <target IP>
# the state of TARGET IP in the pool behind LB IP: 0 running, 1 abnormal, 2 stopped, 3 unknown
set -u
case $0 in */*) ADAPT_PREFIX=${0%/*} ;; *) ADAPT_PREFIX=. ;; esac
# shellcheck disable=SC2034 # read by lib/common.sh
adapt_script=checkLB.sh
# shellcheck source=lib/common.sh
. "$ADAPT_PREFIX/lib/common.sh"
adapt_main check "$@"
