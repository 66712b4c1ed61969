#!/usr/bin/env bash
# Claude Code hook for Stop and SessionStart with "asyncRewake": true: waits for
# a message to this session; when one arrives, prints it on stderr and exits 2,
# which wakes the idle agent with the message. Exits 0 when the wait ends
# (INTERCOM_WAIT_SECONDS, default 3000) or the agent is gone, and at once in a
# headless run (claude -p with a text prompt, or a launched agent). A node that
# restarts meanwhile (it does not answer, or no longer knows the session) is
# asked again every second, and the session registered again, so that an idle
# agent is still woken by what comes after the restart.
home="${INTERCOM_HOME:-$HOME/.config/ai-intercom}"
links="$home/inbox/pid"
IFS= read -r -d '' -t 2 _input

# A headless run never waits: Claude Code backgrounds an asyncRewake hook only in an interactive
# session or with --input-format stream-json; under -p with a text prompt it runs the hook to its
# end before the run can finish. Launched agents (INTERCOM_MISSION_ID) are headless too.
[[ -z ${INTERCOM_MISSION_ID:-} ]] || exit 0
if [[ ${CLAUDE_PID:-} =~ ^[0-9]+$ && -r /proc/$CLAUDE_PID/cmdline ]]; then
  mapfile -d '' argv < "/proc/$CLAUDE_PID/cmdline"
  printed=0 streamed=0
  for (( i = 0; i < ${#argv[@]}; i++ )); do
    case "${argv[i]}" in
      -p|--print) printed=1 ;;
      --input-format=stream-json) streamed=1 ;;
      --input-format) [[ ${argv[i+1]:-} == stream-json ]] && streamed=1 ;;
    esac
  done
  (( printed && !streamed )) && exit 0
fi

session=""
# the session id Claude Code gives the hook and the session's MCP server alike, when this node
# knows it (its pid links name it); else the agent is found by its processes
sid="${CLAUDE_CODE_SESSION_ID:-}"
if [[ $sid =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ && -n ${CLAUDE_PID:-} && -r "$links/$CLAUDE_PID" ]]; then
  read -r linked < "$links/$CLAUDE_PID"
  [[ $linked == "$sid" ]] && session=$sid
fi
pid=$PPID
for _ in {1..32}; do
  [[ -n $session ]] && break
  if [[ -r "$links/$pid" ]]; then
    read -r session < "$links/$pid"
    break
  fi
  read -r stat < "/proc/$pid/stat" 2>/dev/null || exit 0
  stat="${stat##*) }"
  read -r _ pid _ <<< "$stat"
  (( pid > 1 )) || exit 0
done
[[ $session =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] || exit 0
# the turn is over: the session is idle (a message may wake it) until a tool hook says otherwise
[[ -e "$home/inbox/$session.state" ]] && printf 'idle\n' 2>/dev/null > "$home/inbox/$session.state"

# the hook that waits (Stop, or SessionStart): the node records which one put the message in
event=Stop
[[ $_input =~ \"hook_event_name\"[[:space:]]*:[[:space:]]*\"([A-Za-z]+)\" ]] && event=${BASH_REMATCH[1]}
[[ $event == SessionStart ]] || event=Stop
url="http://127.0.0.1:${INTERCOM_HTTP_PORT:-7700}/api/inbox/$session/wait?format=text&timeout=100&event=$event"
deadline=$(( SECONDS + ${INTERCOM_WAIT_SECONDS:-3000} ))
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
# the agent's process: the wait ends with it
agent="${CLAUDE_PID:-}"
[[ $agent =~ ^[0-9]+$ ]] || agent=""
project="${CLAUDE_PROJECT_DIR:-$PWD}"
project="${project##*/}"
# registers the session again with a node that forgot it (it restarted); one call
register() {
  [[ -n $agent && $project =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || return 1
  curl -sf --max-time 5 -o /dev/null -X POST -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" \
    --data "{\"session_id\":\"$session\",\"project\":\"$project\",\"pid\":$agent,\"ancestors\":[$agent]}" \
    "http://127.0.0.1:${INTERCOM_HTTP_PORT:-7700}/api/sessions" 2>/dev/null
}
while (( SECONDS < deadline )); do
  [[ -z $agent || -d /proc/$agent ]] || exit 0
  token=""
  { read -r token < "$home/local.token" || [[ -n $token ]]; } 2>/dev/null
  code=$(curl -s --max-time 120 -o "$out" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" "$url")
  case "$code" in
    200) cat "$out" >&2; exit 2 ;;
    204) ;;
    404) register || sleep 1 ;;
    401 | 000 | 5??) sleep 1 ;; # the node is restarting (a new token) or away
    *) exit 0 ;;
  esac
done
exit 0
