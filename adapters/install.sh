#!/bin/sh
# Installs (or removes) the MRS load-balancer adapter: linkToLB.sh,
# unLinkToLB.sh and checkLB.sh under PREFIX (default /opt/loadBalanceAdapt),
# runnable by the user omm without sudo. Idempotent. Run as root.
#
#   install.sh [--prefix DIR] [--user omm] [--group GROUP] [--create-user]
#              [--director ENDPOINT]... [--token-file F | --generate-token]
#   install.sh --uninstall [--prefix DIR] [--purge]
#
# ENDPOINT is a director's API: a unix socket path (the director runs with
# --api-group GROUP), or http(s)://host:port (the director runs with
# --api-listen and --api-token-file; the same token goes to --token-file).
# Give every director of the pair: the scripts ask all of them.
#
# Layout and permissions (GROUP = the user's primary group unless --group):
#   PREFIX/                      0755 root:root
#   PREFIX/{linkToLB,unLinkToLB,checkLB}.sh
#                                0755 root:root  anyone may run; access is the API's decision
#   PREFIX/lib/common.sh         0644 root:root
#   PREFIX/etc/directors.conf    0644 root:GROUP one endpoint per line
#   PREFIX/etc/token             0640 root:GROUP bearer token for TCP directors
#   PREFIX/log/                  2770 root:GROUP adapter.log (+ .1 ... .5 rotated)
# The "A && B || die" lists are meant: die when any step fails.
# shellcheck disable=SC2015,SC2012
set -u

PROG=${0##*/}
SRC=$(cd "$(dirname "$0")" && pwd) || exit 1
PREFIX=/opt/loadBalanceAdapt
USER_NAME=omm
GROUP_NAME=
CREATE_USER=0
UNINSTALL=0
PURGE=0
TOKEN_FILE=
GEN_TOKEN=0
DIRECTORS=
NDIRECTORS=0

die() {
  echo "$PROG: $*" >&2
  exit 1
}

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

need_arg() {
  [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"
}

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) need_arg "$@"; PREFIX=$2; shift ;;
    --user) need_arg "$@"; USER_NAME=$2; shift ;;
    --group) need_arg "$@"; GROUP_NAME=$2; shift ;;
    --create-user) CREATE_USER=1 ;;
    --director)
      need_arg "$@"
      case $2 in
        /*) ;;
        http://*:[0-9]* | https://*:[0-9]*) ;;
        *) die "--director $2: expected a unix socket path or http(s)://host:port" ;;
      esac
      case $2 in *[[:space:]]*) die "--director: no spaces allowed" ;; esac
      DIRECTORS="$DIRECTORS$2
"
      NDIRECTORS=$((NDIRECTORS + 1))
      shift
      ;;
    --token-file) need_arg "$@"; TOKEN_FILE=$2; shift ;;
    --generate-token) GEN_TOKEN=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || die "run as root"
case $PREFIX in /*) ;; *) die "--prefix must be an absolute path" ;; esac
PREFIX=${PREFIX%/}
[ -n "$PREFIX" ] || die "--prefix / is not allowed"
# The prefix is written into the scripts between single quotes.
case $PREFIX in *[!A-Za-z0-9._/+-]*) die "--prefix: use letters, digits and . _ / + - only" ;; esac

FILES="linkToLB.sh unLinkToLB.sh checkLB.sh lib/common.sh"

if [ "$UNINSTALL" -eq 1 ]; then
  [ -d "$PREFIX" ] || {
    echo "$PROG: nothing installed under $PREFIX"
    exit 0
  }
  for f in $FILES etc/directors.conf etc/token etc/ca.pem; do rm -f "$PREFIX/$f"; done
  rmdir "$PREFIX/lib" "$PREFIX/etc" 2>/dev/null
  if [ "$PURGE" -eq 1 ]; then
    rm -f "$PREFIX"/log/adapter.log "$PREFIX"/log/adapter.log.[0-9]* "$PREFIX/log/adapter.log.lock"
    rmdir "$PREFIX/log" 2>/dev/null
  fi
  rmdir "$PREFIX" 2>/dev/null
  if [ -d "$PREFIX" ]; then
    echo "$PROG: removed the adapter from $PREFIX (kept: $(ls -A "$PREFIX" | tr '\n' ' '))"
  else
    echo "$PROG: removed $PREFIX"
  fi
  exit 0
fi

[ "$GEN_TOKEN" -eq 1 ] && [ -n "$TOKEN_FILE" ] && die "--token-file and --generate-token exclude each other"
for f in $FILES; do [ -f "$SRC/$f" ] || die "missing $SRC/$f (run install.sh from the adapters directory)"; done

# The user and its group.
if ! id -u "$USER_NAME" >/dev/null 2>&1; then
  [ "$CREATE_USER" -eq 1 ] || die "user $USER_NAME does not exist (create it, or pass --create-user)"
  getent group "$USER_NAME" >/dev/null || groupadd --system "$USER_NAME" || die "groupadd $USER_NAME failed"
  useradd --system --gid "$USER_NAME" --no-create-home --shell /usr/sbin/nologin "$USER_NAME" ||
    die "useradd $USER_NAME failed"
  echo "$PROG: created user $USER_NAME"
fi
[ -n "$GROUP_NAME" ] || GROUP_NAME=$(id -gn "$USER_NAME") || die "no primary group for $USER_NAME"
getent group "$GROUP_NAME" >/dev/null || die "group $GROUP_NAME does not exist"

install -d -m 0755 -o root -g root "$PREFIX" "$PREFIX/lib" || die "cannot create $PREFIX"
install -d -m 0755 -o root -g "$GROUP_NAME" "$PREFIX/etc" || die "cannot create $PREFIX/etc"
install -d -m 2770 -o root -g "$GROUP_NAME" "$PREFIX/log" || die "cannot create $PREFIX/log"
# Each script gets the prefix written in, so that it finds lib/common.sh when
# called through a symlink or from any directory, with no process to resolve
# its path. The new file replaces the old one in a single rename.
for f in linkToLB.sh unLinkToLB.sh checkLB.sh; do
  sed "s|^ADAPT_PREFIX=\$|ADAPT_PREFIX='$PREFIX'|" "$SRC/$f" >"$PREFIX/.$f.new" &&
    grep -q "^ADAPT_PREFIX='$PREFIX'\$" "$PREFIX/.$f.new" &&
    chown root:root "$PREFIX/.$f.new" && chmod 0755 "$PREFIX/.$f.new" &&
    mv -f "$PREFIX/.$f.new" "$PREFIX/$f" || die "cannot install $f"
done
install -m 0644 -o root -g root "$SRC/lib/common.sh" "$PREFIX/lib/common.sh" || die "cannot install lib/common.sh"

# directors.conf: replaced when --director is given, else kept, else the
# local director's default socket.
CONF="$PREFIX/etc/directors.conf"
if [ "$NDIRECTORS" -gt 0 ] || [ ! -f "$CONF" ]; then
  [ "$NDIRECTORS" -gt 0 ] || DIRECTORS="/run/floatlb/api.sock
"
  TMP="$CONF.tmp.$$"
  {
    echo "# Directors' control APIs, one a line: a unix socket path or http(s)://host:port."
    echo "# The adapter scripts ask every director listed here. Written by $PROG."
    printf '%s' "$DIRECTORS"
  } >"$TMP" || die "cannot write $CONF"
  chown "root:$GROUP_NAME" "$TMP" && chmod 0644 "$TMP" && mv -f "$TMP" "$CONF" || die "cannot write $CONF"
fi
[ -f "$CONF" ] && chown "root:$GROUP_NAME" "$CONF" && chmod 0644 "$CONF"

TOKEN="$PREFIX/etc/token"
if [ -n "$TOKEN_FILE" ]; then
  [ -r "$TOKEN_FILE" ] || die "cannot read --token-file $TOKEN_FILE"
  read -r tok <"$TOKEN_FILE" || [ -n "${tok:-}" ] || die "--token-file $TOKEN_FILE is empty"
  case $tok in '' | *[!A-Za-z0-9._~+/=-]*) die "--token-file: the token must be one line of [A-Za-z0-9._~+/=-]" ;; esac
  (umask 077 && printf '%s\n' "$tok" >"$TOKEN.tmp.$$") || die "cannot write $TOKEN"
  chown "root:$GROUP_NAME" "$TOKEN.tmp.$$" && chmod 0640 "$TOKEN.tmp.$$" && mv -f "$TOKEN.tmp.$$" "$TOKEN" ||
    die "cannot write $TOKEN"
elif [ "$GEN_TOKEN" -eq 1 ] && [ ! -s "$TOKEN" ]; then
  tok=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') || die "cannot read /dev/urandom"
  (umask 077 && printf '%s\n' "$tok" >"$TOKEN.tmp.$$") || die "cannot write $TOKEN"
  chown "root:$GROUP_NAME" "$TOKEN.tmp.$$" && chmod 0640 "$TOKEN.tmp.$$" && mv -f "$TOKEN.tmp.$$" "$TOKEN" ||
    die "cannot write $TOKEN"
  echo "$PROG: generated $TOKEN; start the director with --api-token-file $TOKEN (or a copy of it)"
fi
if [ -f "$TOKEN" ]; then
  chown "root:$GROUP_NAME" "$TOKEN" && chmod 0640 "$TOKEN"
elif grep -q '^https\{0,1\}://' "$CONF"; then
  echo "$PROG: warning: $CONF lists TCP directors but there is no $TOKEN (use --token-file)" >&2
fi

LOG="$PREFIX/log/adapter.log"
[ -f "$LOG" ] || : >"$LOG"
for f in "$LOG" "$LOG".[0-9]* "$LOG.lock"; do
  [ -f "$f" ] && chown "root:$GROUP_NAME" "$f" && chmod 0660 "$f"
done

echo "$PROG: installed under $PREFIX for $USER_NAME (group $GROUP_NAME); directors:"
grep -v '^#' "$CONF" | sed 's/^/  /'
exit 0
