#!/usr/bin/env bash
# Sets this machine up for AI-Intercom, from its checkout:
#   scripts/install.sh --init-hub   the first machine: the hub, with the operator's Telegram bot
#   scripts/install.sh              any other: finds the hub (Tailscale) and asks to join
# Both link ai-intercom into ~/.local/bin, set up Claude Code (MCP server and hooks) and the
# shell's completion; --service also installs and starts the systemd user unit. Running it again
# changes nothing; --uninstall takes out exactly what it added and keeps the home's data.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
ai="$root/scripts/ai-intercom"

usage() {
  cat <<'USAGE'
Usage: scripts/install.sh [--init-hub] [--hub-url URL] [--hub-port PORT] [--wait SECONDS]
                          [--service] [--no-claude] [--uninstall]
Sets this machine up for AI-Intercom:
  - links ai-intercom into ~/.local/bin;
  - with --init-hub: makes it the hub, with the operator's Telegram bot (the token,
    supergroup id and owner id come from TELEGRAM_BOT_TOKEN, TELEGRAM_SUPERGROUP_ID and
    TELEGRAM_OWNER_ID, else they are asked for);
  - without: finds the hub among the Tailscale peers (or takes --hub-url), asks it to
    admit this machine and waits for the operator (ai-intercom machines approve on the
    hub, or the Telegram card);
  - adds the intercom MCP server to Claude Code (claude mcp add -s user) and merges its
    hooks into ~/.claude/settings.json, beside yours;
  - installs the bash and zsh completion of ai-intercom.
Running it again changes nothing.
  --init-hub         set this machine up as the hub
  --hub-url URL      the hub's HTTP address, e.g. http://100.64.0.1:7700
                     (default: HUB_URL, else found through Tailscale)
  --hub-port PORT    the HTTP port asked on each Tailscale peer (default 7700)
  --wait SECONDS     how long to wait for the operator (default 600)
  --service          also install and start the systemd user unit of the node
  --no-claude        leave Claude Code alone
  --uninstall        take out what this script added (the home's data stays)
  -h, --help         this help
USAGE
}

say() { printf 'install.sh: %s\n' "$*"; }
die() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit "${2:-1}"
}
usage_error() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit 2
}

hub=""
service=""
claude=1
uninstall=""
join_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hub-url | --hub-port | --wait)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      join_args+=("$1=$2")
      shift 2
      ;;
    --hub-url=* | --hub-port=* | --wait=*)
      join_args+=("$1")
      shift
      ;;
    --init-hub) hub=1; shift ;;
    --service) service=1; shift ;;
    --no-claude) claude=""; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown option '$1' (see scripts/install.sh --help)" ;;
  esac
done
[ -z "$hub" ] || [ ${#join_args[@]} -eq 0 ] || usage_error "--init-hub makes this machine the hub: it joins no other"

[ -n "${HOME:-}" ] || die "HOME is not set"
home="${INTERCOM_HOME:-$HOME/.config/ai-intercom}"
bin_dir="$HOME/.local/bin"
link="$bin_dir/ai-intercom"
completion_dir="${XDG_DATA_HOME:-$HOME/.local/share}/bash-completion/completions"
completion="$completion_dir/ai-intercom"
zshrc="${ZDOTDIR:-$HOME}/.zshrc"
zsh_begin="# >>> ai-intercom completion (scripts/install.sh) >>>"
zsh_end="# <<< ai-intercom completion <<<"
unit_dir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
units=(ai-intercom-hub.service ai-intercom-daemon.service)

# The nearest of $1 and its folders that exists.
nearest() {
  local path="$1"
  while [ ! -e "$path" ] && [ ! -L "$path" ]; do path="$(dirname "$path")"; done
  printf '%s' "$path"
}

# Fails unless $1 can be written: it, or the nearest folder of it that exists, is writable.
writable() {
  local path
  path="$(nearest "$1")"
  if [ -d "$path" ]; then [ -w "$path" ]; else [ -w "$path" ] && [ -w "$(dirname "$path")" ]; fi
}

# Writes $2 (a file's text) to $1 unless it holds that already; says whether it did.
put() {
  local file="$1" text="$2"
  if [ -f "$file" ] && [ "$(cat "$file")" = "$text" ]; then return 1; fi
  mkdir -p "$(dirname "$file")"
  printf '%s\n' "$text" >"$file.new.$$"
  mv -f "$file.new.$$" "$file"
}

can_systemctl() { command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; }

# The systemd user unit of this machine's node, from deploy/systemd/ with this checkout's path.
install_service() {
  local unit="$1" text
  text="$(sed "s|@CHECKOUT@|$root|g" "$root/deploy/systemd/$unit")"
  if put "$unit_dir/$unit" "$text"; then say "wrote $unit_dir/$unit"; else say "$unit_dir/$unit is in place already"; fi
  if can_systemctl; then
    systemctl --user daemon-reload
    systemctl --user enable --now "$unit" >/dev/null 2>&1 || die "systemctl --user enable --now $unit failed (see: systemctl --user status $unit)"
    say "started $unit (systemctl --user status $unit; journalctl --user -u $unit)"
    command -v loginctl >/dev/null 2>&1 && [ "$(loginctl show-user "$USER" -p Linger --value 2>/dev/null)" != yes ] \
      && say "to keep it running while you are logged out: loginctl enable-linger $USER"
  else
    say "no systemd user session here: start it with  systemctl --user daemon-reload && systemctl --user enable --now $unit"
  fi
  return 0
}

if [ -n "$uninstall" ]; then
  if [ -n "$claude" ]; then "$ai" setup claude --uninstall || die "Claude Code was left as it is"; fi
  if [ -L "$link" ] && [ "$(readlink -f "$link")" = "$(readlink -f "$ai")" ]; then rm -f "$link" && say "removed $link"; fi
  if [ -f "$completion" ] && grep -q '_complete_ai-intercom' "$completion"; then rm -f "$completion" && say "removed $completion"; fi
  if [ -f "$zshrc" ] && grep -qF "$zsh_begin" "$zshrc"; then
    sed "\\|^$zsh_begin\$|,\\|^$zsh_end\$|d" "$zshrc" >"$zshrc.new.$$" && cat "$zshrc.new.$$" >"$zshrc" && rm -f "$zshrc.new.$$"
    say "removed the completion from $zshrc"
  fi
  for unit in "${units[@]}"; do
    if [ -f "$unit_dir/$unit" ] && grep -qF "$root/scripts/ai-intercom" "$unit_dir/$unit"; then
      if can_systemctl; then systemctl --user disable --now "$unit" >/dev/null 2>&1 || true; fi
      rm -f "$unit_dir/$unit" && say "removed $unit_dir/$unit"
      if can_systemctl; then systemctl --user daemon-reload || true; fi
    fi
  done
  say "kept $home (the journal, token and certificates); delete it yourself to forget this machine"
  exit 0
fi

# Everything is checked before the first change.
for target in "$home/" "$link" "$completion"; do
  writable "$target" || die "cannot write $target: $(nearest "$target") is not writable; nothing was changed"
done
"$ai" --version >/dev/null || die "scripts/ai-intercom does not run (see above); nothing was changed"
if [ -n "$claude" ]; then
  "$ai" setup claude --check || exit 1
fi
if [ -e "$link" ] && ! { [ -L "$link" ] && [ "$(readlink -f "$link")" = "$(readlink -f "$ai")" ]; }; then
  die "$link is there already and is not a link to $ai; move it away and run again; nothing was changed"
fi

if [ -n "$hub" ]; then
  "$ai" setup hub || exit 1
fi

mkdir -p "$bin_dir"
if [ -L "$link" ]; then
  say "$link is in place already"
else
  ln -s "$ai" "$link" && say "linked $link -> $ai"
fi
case ":$PATH:" in *":$bin_dir:"*) ;; *) say "add $bin_dir to your PATH to run ai-intercom by name" ;; esac

if [ -n "$claude" ]; then "$ai" setup claude; fi

if put "$completion" "$("$ai" completion)"; then say "wrote the bash completion to $completion"; else say "the bash completion is in place already"; fi
if [ -f "$zshrc" ] && ! grep -qF "$zsh_begin" "$zshrc"; then
  printf '%s\n[ -r %q ] && source %q\n%s\n' "$zsh_begin" "$completion" "$completion" "$zsh_end" >>"$zshrc"
  say "the zsh completion is sourced from $zshrc"
fi

if [ -n "$hub" ]; then
  [ -z "$service" ] || install_service ai-intercom-hub.service
  [ -n "$service" ] || say "next: start the hub with  ai-intercom standalone  (or run this again with --service)"
  exit 0
fi

status=0
"$ai" join "${join_args[@]}" || status=$?
if [ "$status" -eq 0 ]; then
  if [ -n "$service" ]; then
    install_service ai-intercom-daemon.service
  else
    say "next: start this machine's node with  ai-intercom daemon  (or run this again with --service)"
  fi
elif [ "$status" -eq 3 ] && [ -n "$service" ]; then
  say "the service is installed once the operator admitted this machine: run this again then"
fi
exit "$status"
