# shellcheck shell=sh
# Shared code of linkToLB.sh, unLinkToLB.sh and checkLB.sh. Sourced, never run.
#
# A call: parse `-lb LBIP TARGETIP` strictly, read the directors from
# $ADAPT_PREFIX/etc/directors.conf, ask every director with curl, combine
# the answers into the exit code of the contract, log one line.
#
# Only shell builtins run in the common path, except curl (one per director),
# date (twice) and stat (once, for log rotation): the scripts stay well under
# a 50 ms budget where starting Node would not.

ADAPT_CONNECT_TIMEOUT=${ADAPT_CONNECT_TIMEOUT:-1}
ADAPT_MAX_TIME=${ADAPT_MAX_TIME:-2}
ADAPT_LOG_MAX_BYTES=${ADAPT_LOG_MAX_BYTES:-10485760}
ADAPT_LOG_KEEP=${ADAPT_LOG_KEEP:-5}

adapt_usage() {
  # shellcheck disable=SC2154 # set by the script that sources this file
  echo "usage: $adapt_script -lb <LB IP> <target IP>   (IPv4 or IPv6 literals)"
}

# --- address literals ---------------------------------------------------------

# 0-255 in decimal, no sign, no leading zero.
adapt_octet() {
  case $1 in
    '' | *[!0-9]*) return 1 ;;
    0) return 0 ;;
    0*) return 1 ;;
  esac
  [ ${#1} -le 3 ] && [ "$1" -le 255 ]
}

adapt_is_ipv4() {
  case $1 in *[!0-9.]* | .* | *. | *..*) return 1 ;; esac
  _v4_old=$IFS
  IFS=.
  # shellcheck disable=SC2086 # splitting on dots is the point
  set -- $1
  IFS=$_v4_old
  [ $# -eq 4 ] && adapt_octet "$1" && adapt_octet "$2" && adapt_octet "$3" && adapt_octet "$4"
}

adapt_hex_group() {
  case $1 in '' | *[!0-9A-Fa-f]*) return 1 ;; esac
  [ ${#1} -le 4 ]
}

# RFC 4291 text forms: eight groups, one "::" for a run of zero groups, an
# embedded IPv4 tail. No zone index, brackets or prefix length.
adapt_is_ipv6() {
  case $1 in
    *[!0-9A-Fa-f:.]* | *:::* | *::*::* | '') return 1 ;;
    :[!:]* | *[!:]: | : ) return 1 ;;
  esac
  _v6=$1
  case $_v6 in
    *.*)
      _v6_tail=${_v6##*:}
      adapt_is_ipv4 "$_v6_tail" || return 1
      _v6=${_v6%"$_v6_tail"}x
      ;;
  esac
  _v6_comp=0
  case $_v6 in *::*) _v6_comp=1 ;; esac
  _v6_old=$IFS
  IFS=:
  set -f
  # shellcheck disable=SC2086
  set -- $_v6
  set +f
  IFS=$_v6_old
  _v6_n=0
  for _g in "$@"; do
    if [ -z "$_g" ]; then continue; fi
    if [ "$_g" = x ]; then
      # The IPv4 tail is worth two groups.
      _v6_n=$((_v6_n + 2))
    else
      adapt_hex_group "$_g" || return 1
      _v6_n=$((_v6_n + 1))
    fi
  done
  if [ "$_v6_comp" -eq 1 ]; then
    [ "$_v6_n" -lt 8 ]
  else
    [ "$_v6_n" -eq 8 ]
  fi
}

adapt_is_ip() {
  adapt_is_ipv4 "$1" || adapt_is_ipv6 "$1"
}

# Arguments as printable text for messages and the log: anything outside a
# safe set becomes '?', and the whole is capped.
adapt_safe_args() {
  _sa=$(printf '%s ' "$@" | LC_ALL=C tr -c 'A-Za-z0-9.:_/@%+=, -' '?')
  adapt_cap "${_sa% }" 200
}

# adapt_cap TEXT N: the first N characters of TEXT, "..." marking a cut.
adapt_cap() {
  if [ ${#1} -le "$2" ]; then
    _cap=$1
    return
  fi
  _cap_pat=
  while [ ${#_cap_pat} -lt "$2" ]; do _cap_pat="$_cap_pat?"; done
  # shellcheck disable=SC2295 # the ?s are meant as a pattern
  _cap_rest=${1#$_cap_pat}
  _cap="${1%"$_cap_rest"}..."
}

# Sets adapt_lb and adapt_target, or adapt_error.
adapt_parse() {
  adapt_error=
  if [ $# -ne 3 ]; then
    adapt_error="expected exactly 3 arguments (-lb <LB IP> <target IP>), got $#"
    return 1
  fi
  if [ "$1" != -lb ]; then
    adapt_error="first argument must be -lb"
    return 1
  fi
  if ! adapt_is_ip "$2"; then
    adapt_error="LB IP is not an IPv4 or IPv6 address literal"
    return 1
  fi
  if ! adapt_is_ip "$3"; then
    adapt_error="target IP is not an IPv4 or IPv6 address literal"
    return 1
  fi
  adapt_lb=$2
  adapt_target=$3
}

# --- time, identity -----------------------------------------------------------

adapt_identity() {
  adapt_uid='?'
  while read -r _k _v _rest; do
    if [ "$_k" = Uid: ]; then
      adapt_uid=$_v
      break
    fi
  done </proc/self/status
  adapt_user=$adapt_uid
  while IFS=: read -r _n _x _u _rest; do
    if [ "$_u" = "$adapt_uid" ]; then
      adapt_user=$_n
      break
    fi
  done </etc/passwd
  adapt_caller='?'
  # shellcheck disable=SC3028 # PPID is POSIX
  if [ -r "/proc/$PPID/comm" ]; then read -r adapt_caller <"/proc/$PPID/comm" || true; fi
  # comm may hold spaces ("node (vitest 1)"): keep the log's fields apart.
  _old=$IFS
  IFS=' 	'
  set -f
  # shellcheck disable=SC2086
  set -- $adapt_caller
  set +f
  IFS=_
  adapt_caller="$*($PPID)"
  IFS=$_old
}

# --- directors ----------------------------------------------------------------

# Reads etc/directors.conf into adapt_directors (newline separated).
adapt_read_directors() {
  adapt_directors=
  _conf="$ADAPT_PREFIX/etc/directors.conf"
  if [ ! -r "$_conf" ]; then
    adapt_error="cannot read $_conf"
    return 1
  fi
  while read -r _line _rest; do
    case $_line in '' | '#'*) continue ;; esac
    case $_line in
      /* | http://* | https://*) ;;
      *)
        adapt_error="$_conf: not a socket path or http(s)://host:port: $_line"
        return 1
        ;;
    esac
    adapt_directors="$adapt_directors$_line
"
  done <"$_conf"
  if [ -z "$adapt_directors" ]; then
    adapt_error="$_conf lists no director"
    return 1
  fi
}

# JSON text joined onto one line (the director pretty-prints).
adapt_one_line() {
  _ol=
  while IFS= read -r _l || [ -n "$_l" ]; do
    _l=${_l#"${_l%%[! ]*}"}
    _ol="$_ol$_l"
  done <<EOF
$1
EOF
}

# adapt_call METHOD PATH ENDPOINT: one request. Sets _status (HTTP status,
# 000 when there was no answer), _rc (curl's exit code) and _ol (the body on
# one line).
adapt_call() {
  _m=$1 _p=$2 _ep=$3
  _out=
  _rc=0
  _ol=
  case $_ep in
    /*)
      _out=$(curl -sS -g -X "$_m" --connect-timeout "$ADAPT_CONNECT_TIMEOUT" -m "$ADAPT_MAX_TIME" \
        -w '\n%{http_code}' --unix-socket "$_ep" "http://localhost$_p" 2>/dev/null) || _rc=$?
      ;;
    *)
      _tok=
      if ! { read -r _tok <"$ADAPT_PREFIX/etc/token"; } 2>/dev/null || [ -z "$_tok" ]; then
        _status=000 _rc=token
        return
      fi
      case $_tok in *[!A-Za-z0-9._~+/=-]*)
        _status=000 _rc=token
        return
        ;;
      esac
      _ca=
      [ -r "$ADAPT_PREFIX/etc/ca.pem" ] && _ca="--cacert $ADAPT_PREFIX/etc/ca.pem"
      # The token goes to curl on stdin, never on its command line.
      # shellcheck disable=SC2086
      _out=$(curl -sS -g -K - $_ca -X "$_m" --connect-timeout "$ADAPT_CONNECT_TIMEOUT" \
        -m "$ADAPT_MAX_TIME" -w '\n%{http_code}' "${_ep%/}$_p" 2>/dev/null <<EOF
header = "Authorization: Bearer $_tok"
EOF
      ) || _rc=$?
      ;;
  esac
  _status=${_out##*
}
  case $_status in [0-9][0-9][0-9]) ;; *) _status=000 ;; esac
  _body=
  case $_out in *'
'*) _body=${_out%
*} ;; esac
  adapt_one_line "$_body"
}

# The state field of a member answer, or empty.
adapt_state_of() {
  case $1 in
    *'"state": "running"'* | *'"state":"running"'*) adapt_state=running ;;
    *'"state": "abnormal"'* | *'"state":"abnormal"'*) adapt_state=abnormal ;;
    *'"state": "stopped"'* | *'"state":"stopped"'*) adapt_state=stopped ;;
    *) adapt_state= ;;
  esac
}

# The error field of an answer, or empty.
adapt_error_of() {
  _e=
  case $1 in *'"error": "'* | *'"error":"'*)
    _e=${1#*\"error\"}
    _e=${_e#*\"}
    _e=${_e%%\"*}
    ;;
  esac
}

# Asks every director; fills adapt_answers (one "STATUS RC ENDPOINT BODY"
# line per director, in directors.conf order).
adapt_ask_all() {
  adapt_answers=
  set -f
  _old=$IFS
  IFS='
'
  # shellcheck disable=SC2086
  set -- $adapt_directors
  IFS=$_old
  set +f
  if [ $# -eq 1 ]; then
    adapt_call "$adapt_method" "$adapt_path" "$1"
    adapt_answers="$_status $_rc $1 $_ol
"
    return
  fi
  # Several directors: ask them in parallel.
  _tmp=$(mktemp -d "${TMPDIR:-/tmp}/adapt.XXXXXX") || {
    adapt_error="mktemp failed"
    return 1
  }
  _i=0
  for _ep in "$@"; do
    _i=$((_i + 1))
    (
      adapt_call "$adapt_method" "$adapt_path" "$_ep"
      printf '%s %s\n%s\n' "$_status" "$_rc" "$_ol"
    ) >"$_tmp/$_i" &
  done
  wait
  _i=0
  for _ep in "$@"; do
    _i=$((_i + 1))
    _h='' _b=''
    { read -r _h && read -r _b; } <"$_tmp/$_i" || true
    adapt_answers="$adapt_answers${_h:-000 99} $_ep $_b
"
  done
  rm -rf "$_tmp"
}

# --- verdicts -----------------------------------------------------------------

# link/unlink: 0 when at least one director applied the change and none
# refused it. A director that cannot be reached does not veto (it may be the
# failed half of the pair); checkLB reports the disagreement once it returns.
adapt_verdict_change() {
  _ok=0 _refused=0 _down=0
  adapt_why=
  while read -r _st _rc _ep _body; do
    [ -n "$_st" ] || continue
    adapt_error_of "$_body"
    case $_st in
      200) _ok=$((_ok + 1)) ;;
      000)
        _down=$((_down + 1))
        adapt_why="$adapt_why; $_ep unreachable (curl $_rc)"
        ;;
      *)
        _refused=$((_refused + 1))
        adapt_why="$adapt_why; $_ep refused with HTTP $_st${_e:+: $_e}"
        ;;
    esac
  done <<EOF
$adapt_answers
EOF
  adapt_why=${adapt_why#; }
  adapt_summary="ok=$_ok refused=$_refused unreachable=$_down"
  if [ "$_ok" -ge 1 ] && [ "$_refused" -eq 0 ]; then
    adapt_code=0
    adapt_result="${adapt_action}ed on $_ok director(s)${adapt_why:+; $adapt_why}"
  else
    adapt_code=1
    if [ "$_ok" -eq 0 ] && [ "$_refused" -eq 0 ]; then
      adapt_result="no director reachable: $adapt_why"
    else
      adapt_result="$adapt_action failed: $adapt_why"
    fi
  fi
}

# check: 0 running, 1 abnormal or directors disagree, 2 stopped, 3 unknown.
# A director that answers 200 reports a state; one that answers 404 does not
# know the LB IP (or the target behind it); any other outcome (unreachable,
# 401/403, 5xx) is no answer at all.
adapt_verdict_check() {
  _states='' _n=0 _unknown=0 _none=0
  adapt_why=
  while read -r _st _rc _ep _body; do
    [ -n "$_st" ] || continue
    adapt_error_of "$_body"
    case $_st in
      200)
        adapt_state_of "$_body"
        if [ -n "$adapt_state" ]; then
          _n=$((_n + 1))
          case " $_states " in *" $adapt_state "*) ;; *) _states="$_states $adapt_state" ;; esac
          adapt_why="$adapt_why; $_ep: $adapt_state"
        else
          _none=$((_none + 1))
          adapt_why="$adapt_why; $_ep: HTTP 200 without a state"
        fi
        ;;
      404)
        _unknown=$((_unknown + 1))
        adapt_why="$adapt_why; $_ep: unknown${_e:+ ($_e)}"
        ;;
      000)
        _none=$((_none + 1))
        adapt_why="$adapt_why; $_ep: unreachable (curl $_rc)"
        ;;
      *)
        _none=$((_none + 1))
        adapt_why="$adapt_why; $_ep: HTTP $_st${_e:+ ($_e)}"
        ;;
    esac
  done <<EOF
$adapt_answers
EOF
  adapt_why=${adapt_why#; }
  _states=${_states# }
  adapt_summary="states=${_states:-none} unknown=$_unknown noanswer=$_none"
  if [ "$_n" -eq 0 ]; then
    adapt_code=3
    if [ "$_unknown" -gt 0 ]; then
      adapt_result="unknown: LB IP or target not configured: $adapt_why"
    else
      adapt_result="unknown: no director answered: $adapt_why"
    fi
  elif [ "$_unknown" -gt 0 ]; then
    adapt_code=1
    adapt_result="abnormal: directors disagree (some do not know the LB IP): $adapt_why"
  else
    case $_states in
      running) adapt_code=0 adapt_result="running: $adapt_why" ;;
      stopped) adapt_code=2 adapt_result="stopped: $adapt_why" ;;
      abnormal) adapt_code=1 adapt_result="abnormal: $adapt_why" ;;
      *) adapt_code=1 adapt_result="abnormal: directors disagree: $adapt_why" ;;
    esac
  fi
}

# --- log ----------------------------------------------------------------------

adapt_rotate() {
  _log=$1
  _sz=$(stat -c %s "$_log" 2>/dev/null) || return 0
  [ "$_sz" -ge "$ADAPT_LOG_MAX_BYTES" ] || return 0
  (
    flock -x 9 || exit 0
    # Another call may have rotated while this one waited for the lock.
    _sz=$(stat -c %s "$_log" 2>/dev/null) || exit 0
    [ "$_sz" -ge "$ADAPT_LOG_MAX_BYTES" ] || exit 0
    _k=$ADAPT_LOG_KEEP
    while [ "$_k" -gt 1 ]; do
      _j=$((_k - 1))
      [ -e "$_log.$_j" ] && mv -f "$_log.$_j" "$_log.$_k"
      _k=$_j
    done
    mv -f "$_log" "$_log.1"
    # Older generations beyond the limit (left when ADAPT_LOG_KEEP shrank).
    _k=$((ADAPT_LOG_KEEP + 1))
    while [ -e "$_log.$_k" ]; do
      rm -f "$_log.$_k"
      _k=$((_k + 1))
    done
    : >>"$_log"
  ) 9>>"$_log.lock" 2>/dev/null
}

# adapt_log LINE: appends one line (a single write), then rotates if due.
adapt_log() {
  _log="$ADAPT_PREFIX/log/adapter.log"
  if ! { printf '%s\n' "$1" >>"$_log"; } 2>/dev/null; then
    echo "$adapt_script: cannot write $_log (the call itself is unaffected)" >&2
    return
  fi
  adapt_rotate "$_log"
}

# A log value: JSON stays raw (self-delimiting), anything else is quoted with
# its double quotes turned into single ones.
adapt_logval() {
  case $1 in
    '{'*'}' | '['*']') _lv=$1 ;;
    *)
      _lv=
      _rest=$1
      while :; do
        case $_rest in
          *'"'*)
            _lv="$_lv${_rest%%\"*}'"
            _rest=${_rest#*\"}
            ;;
          *)
            _lv="\"$_lv$_rest\""
            break
            ;;
        esac
      done
      ;;
  esac
}

# --- entry --------------------------------------------------------------------

# adapt_main ACTION ARGS...: ACTION is link, unlink or check.
adapt_main() {
  adapt_action=$1
  shift
  umask 007
  adapt_t0=$(date +%s%N)
  adapt_identity
  adapt_code=
  adapt_answers=
  adapt_summary=
  if ! adapt_parse "$@"; then
    adapt_safe_args "$@"
    adapt_args=$_cap
    # checkLB: a malformed call says nothing about the node, so "unknown"
    # (3); 1 would make the cluster manager repair a node that may be fine.
    if [ "$adapt_action" = check ]; then adapt_code=3; else adapt_code=1; fi
    adapt_result="malformed arguments: $adapt_error"
    echo "$adapt_script: $adapt_result" >&2
    adapt_usage >&2
  else
    adapt_args="-lb $adapt_lb $adapt_target"
    adapt_path="/v1/pools/$adapt_lb/members/$adapt_target"
    if [ "$adapt_action" = check ]; then
      adapt_method=GET
    else
      adapt_method=POST
      adapt_path="$adapt_path/$adapt_action"
    fi
    if ! adapt_read_directors || ! adapt_ask_all; then
      if [ "$adapt_action" = check ]; then adapt_code=3; else adapt_code=1; fi
      adapt_result="configuration: $adapt_error"
    elif [ "$adapt_action" = check ]; then
      adapt_verdict_check
    else
      adapt_verdict_change
    fi
    if [ "$adapt_code" -eq 0 ] || { [ "$adapt_action" = check ] && [ "$adapt_code" -ne 3 ]; }; then
      echo "$adapt_script: $adapt_result"
    else
      echo "$adapt_script: $adapt_result" >&2
    fi
  fi
  _end=$(date '+%s%N %Y-%m-%dT%H:%M:%S.%3N%z')
  _ms=$(((${_end%% *} - adapt_t0) / 1000000))
  _ts=${_end#* }
  adapt_logval "$adapt_args"
  _line="$_ts script=$adapt_script pid=$$ uid=$adapt_uid user=$adapt_user caller=$adapt_caller args=$_lv exit=$adapt_code ms=$_ms"
  adapt_logval "$adapt_result"
  _line="$_line${adapt_summary:+ $adapt_summary} result=$_lv"
  _i=0
  while read -r _st _rc _ep _body; do
    [ -n "$_st" ] || continue
    _i=$((_i + 1))
    adapt_cap "$_body" 600
    adapt_logval "$_cap"
    _line="$_line d$_i=$_ep d$_i.http=$_st d$_i.curl=$_rc d$_i.answer=$_lv"
  done <<EOF
$adapt_answers
EOF
  adapt_log "$_line"
  return "$adapt_code"
}
