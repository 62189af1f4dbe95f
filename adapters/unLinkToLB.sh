#!/bin/sh
# unLinkToLB.sh -lb <LB IP> <target IP>
# makes TARGET IP a standby of the pool behind LB IP: weight 0, existing connections drain (exit 0 done, 1 failed)
set -u
# install.sh writes the prefix here, so that a symlink, any working directory
# and any caller find lib/common.sh without resolving $0 at each call.
ADAPT_PREFIX=
[ -n "$ADAPT_PREFIX" ] || ADAPT_PREFIX=$(dirname -- "$(readlink -f -- "$0")")
# shellcheck disable=SC2034 # read by lib/common.sh
adapt_script=unLinkToLB.sh
if [ ! -r "$ADAPT_PREFIX/lib/common.sh" ]; then
  echo "$adapt_script: cannot read $ADAPT_PREFIX/lib/common.sh" >&2
  exit 1
fi
# shellcheck source=lib/common.sh
. "$ADAPT_PREFIX/lib/common.sh"
adapt_main unlink "$@"
