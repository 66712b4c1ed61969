#!/usr/bin/env bash
# Sets this machine up as a daemon of an AI-Intercom network: finds the hub
# among the Tailscale peers (or takes --hub-url), asks it to admit this machine
# and waits for the operator's decision (ai-intercom join).
#   scripts/install.sh [--hub-url URL] [--hub-port PORT] [--wait SECONDS]
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"

usage() {
  cat <<'USAGE'
Usage: scripts/install.sh [--hub-url URL] [--hub-port PORT] [--wait SECONDS]
Admits this machine to an AI-Intercom network: finds the hub among the
Tailscale peers (tailscale status --json, then /api/discover on each), asks it
to admit this machine and waits for the operator (ai-intercom machines approve
on the hub, or the Telegram card).
  --hub-url URL      the hub's HTTP address, e.g. http://100.64.0.1:7700
                     (default: HUB_URL, else found through Tailscale)
  --hub-port PORT    the HTTP port asked on each Tailscale peer (default 7700)
  --wait SECONDS     how long to wait for the operator (default 600)
  -h, --help         this help
USAGE
}

die() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit 2
}

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hub-url | --hub-port | --wait)
      [ $# -ge 2 ] || die "$1 needs a value"
      args+=("$1=$2")
      shift 2
      ;;
    --hub-url=* | --hub-port=* | --wait=*)
      args+=("$1")
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option '$1' (see scripts/install.sh --help)" ;;
  esac
done

status=0
"$root/scripts/ai-intercom" join "${args[@]}" || status=$?
if [ "$status" -eq 0 ]; then
  printf 'next: start this machine'"'"'s node with %s/scripts/ai-intercom daemon\n' "$root"
fi
exit "$status"
