# shellcheck shell=sh
# Shared code of linkToLB.sh, unLinkToLB.sh and checkLB.sh. Sourced, never run.
#
# A call: check the shape of `-lb LBIP TARGETIP`, ask every director listed
# in $ADAPT_PREFIX/etc/directors.conf with curl for one line of plain text,
# combine the answers into the exit code of the contract, log one line.
# The directors validate the addresses (400 with a message naming the
# argument); here only builtins run, besides one curl per director, date
# twice, tr once and stat once (docs/adapters.md).

ADAPT_CONNECT_TIMEOUT=${ADAPT_CONNECT_TIMEOUT:-1}
# A check reads the director's memory; a link waits for the kernel to take
# the change, which a loaded director may take seconds to do.
ADAPT_CHECK_MAX_TIME=${ADAPT_CHECK_MAX_TIME:-2}
ADAPT_CHANGE_MAX_TIME=${ADAPT_CHANGE_MAX_TIME:-10}
ADAPT_LOG_MAX_BYTES=${ADAPT_LOG_MAX_BYTES:-10485760}
ADAPT_LOG_KEEP=${ADAPT_LOG_KEEP:-5}
NL='
'

# Checks the shape only; the characters allowed keep the request path intact.
adapt_parse() {
  adapt_error=
  if [ $# -ne 3 ]; then
    adapt_error="expected exactly 3 arguments (-lb <LB IP> <target IP>), got $#"
  elif [ "$1" != -lb ]; then
    adapt_error="first argument must be -lb"
  else
    case $2 in '' | *[!0-9A-Fa-f:.]*) adapt_error="LB IP is not an IPv4 or IPv6 address literal" ;; esac
    case $3 in '' | *[!0-9A-Fa-f:.]*) adapt_error="${adapt_error:-target IP is not an IPv4 or IPv6 address literal}" ;; esac
  fi
  [ -z "$adapt_error" ]
}

adapt_identity() {
  adapt_uid='?'
  while read -r _k _v _; do
    [ "$_k" = Uid: ] && adapt_uid=$_v && break
  done </proc/self/status
  adapt_user=$adapt_uid
  while IFS=: read -r _n _ _u _; do
    [ "$_u" = "$adapt_uid" ] && adapt_user=$_n && break
  done </etc/passwd
  _c='?'
  # shellcheck disable=SC3028 # PPID is POSIX
  [ -r "/proc/$PPID/comm" ] && read -r _c <"/proc/$PPID/comm"
  # comm may hold spaces ("node (vitest 1)"): keep the log's fields apart.
  # shellcheck disable=SC2086 # splitting on blanks is the point
  IFS=' 	' && set -- $_c && IFS=_
  adapt_caller="$*($PPID)"
  IFS=" 	$NL"
}

# etc/directors.conf into adapt_directors, one per line.
adapt_read_directors() {
  adapt_directors=
  _conf="$ADAPT_PREFIX/etc/directors.conf"
  [ -r "$_conf" ] || { adapt_error="cannot read $_conf" && return 1; }
  while read -r _l _; do
    case $_l in
      '' | '#'*) ;;
      /* | http://* | https://*) adapt_directors="$adapt_directors$_l$NL" ;;
      *) adapt_error="$_conf: not a socket path or http(s)://host:port: $_l" && return 1 ;;
    esac
  done <"$_conf"
  [ -n "$adapt_directors" ] || { adapt_error="$_conf lists no director" && return 1; }
}

# adapt_call ENDPOINT: sets _a to "STATUS CURLRC BODY" (status 000: no answer).
adapt_call() {
  _rc=0 _out='' _e=$1
  set -- -sS -g -X "$adapt_method" -H 'Accept: text/plain' --connect-timeout "$ADAPT_CONNECT_TIMEOUT" \
    -m "$adapt_max_time" -w '\n%{http_code}'
  case $_e in
    /*) _out=$(curl "$@" --unix-socket "$_e" "http://localhost$adapt_path" 2>/dev/null) || _rc=$? ;;
    *)
      _tok=
      { read -r _tok <"$ADAPT_PREFIX/etc/token"; } 2>/dev/null
      case $_tok in '' | *[!A-Za-z0-9._~+/=-]*) _a='000 token' && return ;; esac
      [ -r "$ADAPT_PREFIX/etc/ca.pem" ] && set -- "$@" --cacert "$ADAPT_PREFIX/etc/ca.pem"
      # The token goes to curl on stdin, never on its command line.
      _out=$(curl -K - "$@" "${_e%/}$adapt_path" 2>/dev/null <<EOF
header = "Authorization: Bearer $_tok"
EOF
      ) || _rc=$?
      ;;
  esac
  _st=${_out##*"$NL"} _b=
  case $_st in [0-9][0-9][0-9]) ;; *) _st=000 ;; esac
  case $_out in *"$NL"*) _b=${_out%"$NL"*} _b=${_b%%"$NL"*} ;; esac
  _a="$_st $_rc $_b"
}

# Every director, in parallel when there are several: adapt_answers holds one
# "STATUS CURLRC ENDPOINT BODY" line each, in directors.conf order.
adapt_ask_all() {
  adapt_answers='' _tmp='' _i=0
  case ${adapt_directors%"$NL"} in
    *"$NL"*) _tmp=$(mktemp -d "${TMPDIR:-/tmp}/adapt.XXXXXX") || { adapt_error="mktemp failed" && return 1; } ;;
  esac
  for _ep in $adapt_directors; do
    _i=$((_i + 1))
    if [ -n "$_tmp" ]; then (adapt_call "$_ep" && echo "$_a") >"$_tmp/$_i" & else adapt_call "$_ep"; fi
  done
  wait
  _i=0
  for _ep in $adapt_directors; do
    _i=$((_i + 1))
    [ -z "$_tmp" ] || read -r _a <"$_tmp/$_i" || _a='000 99'
    _s=${_a%% *} _a=${_a#* }
    adapt_answers="$adapt_answers$_s ${_a%% *} $_ep ${_a#* }$NL"
  done
  [ -z "$_tmp" ] || rm -rf "$_tmp"
}

# The combining rules of docs/adapters.md. A director that cannot be reached
# does not veto a change (it may be the failed half of the pair); 400 means
# the director found the arguments malformed; for a check, 404 means it does
# not know the LB IP or the target, and anything else is no answer.
adapt_verdict() {
  _ok=0 _refused=0 _down=0 _n=0 _unknown=0 _none=0 _bad='' _states=''
  adapt_why=
  while read -r _st _rc _ep _body; do
    case $adapt_action.$_st in
      *.000) _down=$((_down + 1)) _none=$((_none + 1)) _w="unreachable (curl $_rc)" ;;
      *.400) _refused=$((_refused + 1)) _none=$((_none + 1)) _bad=$_body _w="HTTP 400: $_body" ;;
      check.200)
        case $_body in
          running | abnormal | stopped)
            _n=$((_n + 1)) _w=$_body
            case " $_states " in *" $_body "*) ;; *) _states="$_states $_body" ;; esac
            ;;
          *) _none=$((_none + 1)) _w="HTTP 200 without a state" ;;
        esac
        ;;
      check.404) _unknown=$((_unknown + 1)) _w="unknown ($_body)" ;;
      check.*) _none=$((_none + 1)) _w="HTTP $_st ($_body)" ;;
      *.200) _ok=$((_ok + 1)) _w="$_body" ;;
      *) _refused=$((_refused + 1)) _w="refused with HTTP $_st: $_body" ;;
    esac
    adapt_why="$adapt_why; $_ep: $_w"
  done <<EOF
${adapt_answers%"$NL"}
EOF
  adapt_why=${adapt_why#; } _states=${_states# } adapt_code=1
  if [ "$adapt_action" != check ]; then
    adapt_summary="ok=$_ok refused=$_refused unreachable=$_down"
    if [ "$_ok" -ge 1 ] && [ "$_refused" -eq 0 ]; then
      adapt_code=0 adapt_result="${adapt_action}ed on $_ok director(s): $adapt_why"
    elif [ -n "$_bad" ]; then adapt_result="malformed arguments: $_bad"
    elif [ "$_refused" -eq 0 ]; then adapt_result="no director reachable: $adapt_why"
    else adapt_result="$adapt_action failed: $adapt_why"; fi
    return
  fi
  adapt_summary="states=${_states:-none} unknown=$_unknown noanswer=$_none"
  if [ "$_n" -eq 0 ]; then
    adapt_code=3 adapt_result="unknown: no director answered: $adapt_why"
    [ "$_unknown" -eq 0 ] || adapt_result="unknown: LB IP or target not configured: $adapt_why"
    [ -z "$_bad" ] || adapt_result="malformed arguments: $_bad"
  elif [ "$_unknown" -gt 0 ]; then
    adapt_result="abnormal: directors disagree (some do not know the LB IP): $adapt_why"
  else
    case $_states in running) adapt_code=0 ;; stopped) adapt_code=2 ;; esac
    case $_states in *' '*) _states="abnormal: directors disagree" ;; esac
    adapt_result="$_states: $adapt_why"
  fi
}

# adapt_log LINE: one write with O_APPEND, then a size-based rotation under
# flock, checked again once the lock is held.
adapt_log() {
  _log="$ADAPT_PREFIX/log/adapter.log"
  if ! { printf '%s\n' "$1" >>"$_log"; } 2>/dev/null; then
    # shellcheck disable=SC2154 # adapt_script: set by the script that sources this file
    echo "$adapt_script: cannot write $_log (the call itself is unaffected)" >&2
    return
  fi
  _sz=$(stat -c %s "$_log" 2>/dev/null) || return 0
  [ "$_sz" -ge "$ADAPT_LOG_MAX_BYTES" ] || return 0
  (
    flock -x 9 || exit 0
    _sz=$(stat -c %s "$_log" 2>/dev/null) && [ "$_sz" -ge "$ADAPT_LOG_MAX_BYTES" ] || exit 0
    _k=$ADAPT_LOG_KEEP
    while [ "$_k" -gt 1 ]; do
      [ -e "$_log.$((_k - 1))" ] && mv -f "$_log.$((_k - 1))" "$_log.$_k"
      _k=$((_k - 1))
    done
    mv -f "$_log" "$_log.1"
    # Generations beyond the limit (left when ADAPT_LOG_KEEP shrank).
    _k=$((ADAPT_LOG_KEEP + 1))
    while [ -e "$_log.$_k" ]; do rm -f "$_log.$_k" && _k=$((_k + 1)); done
    : >>"$_log"
  ) 9>>"$_log.lock" 2>/dev/null
}

# adapt_logval TEXT [N]: TEXT in _lv, quoted, cut to N characters ("..."
# marks a cut), its double quotes turned into single ones.
adapt_logval() {
  _cap=$1 _lv='' _p='' _max=${2:-600}
  if [ ${#1} -gt "$_max" ]; then
    while [ ${#_p} -lt "$_max" ]; do _p="$_p?"; done
    # shellcheck disable=SC2295 # the ?s are meant as a pattern
    _r=${1#$_p} && _cap="${1%"$_r"}..."
  fi
  while :; do
    case $_cap in
      *'"'*) _lv="$_lv${_cap%%\"*}'" _cap=${_cap#*\"} ;;
      *) _lv="\"$_lv$_cap\"" && return ;;
    esac
  done
}

# adapt_main ACTION ARGS...: ACTION is link, unlink or check.
adapt_main() {
  adapt_action=$1
  shift
  umask 007
  adapt_t0=$(date +%s%N)
  set -f
  adapt_identity
  adapt_answers='' adapt_summary=''
  # Arguments outside a safe set become '?': a hostile one cannot forge a line.
  adapt_logval "$(printf '%s ' "$@" | LC_ALL=C tr -c 'A-Za-z0-9.:_/@%+=, -' '?')" 200
  adapt_args="${_lv% \"}\""
  # A check that learns nothing says "unknown" (3); 1 would make the cluster
  # manager repair a node that may be fine (docs/adapters.md).
  _fail=1 && [ "$adapt_action" = check ] && _fail=3
  if ! adapt_parse "$@"; then
    adapt_code=$_fail adapt_result="malformed arguments: $adapt_error"
  else
    adapt_method=POST adapt_path="/v1/pools/$2/members/$3/$adapt_action" adapt_max_time=$ADAPT_CHANGE_MAX_TIME
    [ "$adapt_action" = check ] &&
      adapt_method=GET adapt_path="/v1/pools/$2/members/$3/state" adapt_max_time=$ADAPT_CHECK_MAX_TIME
    if adapt_read_directors && adapt_ask_all; then adapt_verdict
    else adapt_code=$_fail adapt_result="configuration: $adapt_error"; fi
  fi
  if [ "$adapt_code" -eq 0 ] || { [ "$adapt_action" = check ] && [ "$adapt_code" -ne 3 ]; }; then
    echo "$adapt_script: $adapt_result"
  else
    echo "$adapt_script: $adapt_result" >&2
    case $adapt_result in malformed*) echo "usage: $adapt_script -lb <LB IP> <target IP>   (IPv4 or IPv6)" >&2 ;; esac
  fi
  _end=$(date '+%s%N %Y-%m-%dT%H:%M:%S.%3N%z')
  _line="${_end#* } script=$adapt_script pid=$$ uid=$adapt_uid user=$adapt_user caller=$adapt_caller"
  _line="$_line args=$adapt_args exit=$adapt_code ms=$(((${_end%% *} - adapt_t0) / 1000000))"
  adapt_logval "$adapt_result"
  _line="$_line${adapt_summary:+ $adapt_summary} result=$_lv"
  _i=0
  while read -r _st _rc _ep _body; do
    [ -n "$_st" ] || continue
    _i=$((_i + 1))
    adapt_logval "$_body"
    _line="$_line d$_i=$_ep d$_i.http=$_st d$_i.curl=$_rc d$_i.answer=$_lv"
  done <<EOF
$adapt_answers
EOF
  adapt_log "$_line"
  return "$adapt_code"
}
