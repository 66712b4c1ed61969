#!/usr/bin/env bash
# Claude Code hook for PostToolUse, UserPromptSubmit and SessionStart: puts the
# new messages of this session into the agent's context, as
#   {"hookSpecificOutput":{"hookEventName":"...","additionalContext":"..."}}
# Prints nothing (exit 0) when there are none, when the node is down, or when
# stdin is not a hook event. Finds its session by CLAUDE_CODE_SESSION_ID (the
# MCP server registers under the same id), else through its ancestor processes
# (the Claude Code process is also the parent of the session's MCP server), so
# two sessions of one project never see each other's messages.
# After a node restart the first hook registers its session again (one call), and
# so does SessionStart for a session its MCP server has not registered yet.
# Also tells the node the session works (see SessionActivity): the event name
# into inbox/SESSION.state.
# Fast path (nothing new): bash builtins only, no process started. The script
# stands alone (no sourced helper), so it can be copied or linked anywhere.
home="${INTERCOM_HOME:-$HOME/.config/ai-intercom}"
links="$home/inbox/pid"

input=""
IFS= read -r -d '' -t 2 input
[[ $input =~ \"hook_event_name\"[[:space:]]*:[[:space:]]*\"(PostToolUse|UserPromptSubmit|SessionStart)\" ]] || exit 0
event="${BASH_REMATCH[1]}"

session=""
registered=""
# Claude Code gives the hook and the session's MCP server the same CLAUDE_CODE_SESSION_ID, which
# the server registers as its session id; agents that give nothing are found by their processes.
sid="${CLAUDE_CODE_SESSION_ID:-}"
if [[ $sid =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ && ( -e "$home/inbox/$sid.pending" || -e "$home/inbox/$sid.state" ) ]]; then
  session=$sid
fi
# Register the session in one call, so that what comes for it reaches it now, not when its MCP
# server next makes a call: when the node restarted since it registered (its process link is older
# than the node's session desk), or when it starts or resumes (claude --resume: the same id, its
# unread letters come back) before its MCP server has registered it.
linked=""
register=""
if [[ $sid =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ && ${CLAUDE_PID:-} =~ ^[0-9]+$ ]]; then
  if [[ ! -e "$links/$CLAUDE_PID" ]]; then
    [[ $event == SessionStart ]] && register=1
  elif [[ "$home/inbox/desk.started" -nt "$links/$CLAUDE_PID" ]] \
      && { read -r linked < "$links/$CLAUDE_PID" || [[ -n $linked ]]; } 2>/dev/null \
      && [[ $linked == "$sid" ]]; then
    register=1
  fi
fi
if [[ -n $register ]]; then
  project="${CLAUDE_PROJECT_DIR:-$PWD}"
  project="${project##*/}"
  if [[ $project =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] \
      && { read -r token < "$home/local.token" || [[ -n $token ]]; } 2>/dev/null \
      && curl -sf --max-time 5 -o /dev/null -X POST -H "Authorization: Bearer $token" \
        -H "Content-Type: application/json" \
        --data "{\"session_id\":\"$sid\",\"project\":\"$project\",\"pid\":$CLAUDE_PID,\"ancestors\":[$CLAUDE_PID]}" \
        "http://127.0.0.1:${INTERCOM_HTTP_PORT:-7700}/api/sessions" 2>/dev/null; then
    session=$sid
    registered=1
  fi
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
# the session's state for the node (working, and since when): one builtin write into the file the
# node made when the session registered; SessionStart says nothing (the waiting hook says idle)
if [[ $event != SessionStart && -e "$home/inbox/$session.state" ]]; then
  printf '%s\n' "$event" 2>/dev/null > "$home/inbox/$session.state"
fi
[[ -e "$home/inbox/$session.pending" || -n ${registered:-} ]] || exit 0

{ read -r token < "$home/local.token" || [[ -n $token ]]; } 2>/dev/null || exit 0
curl -sf --max-time 5 -X POST -H "Authorization: Bearer $token" \
  "http://127.0.0.1:${INTERCOM_HTTP_PORT:-7700}/api/inbox/$session/check?format=hook&event=$event" 2>/dev/null
exit 0
