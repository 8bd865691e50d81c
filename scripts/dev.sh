#!/usr/bin/env bash
# Run CaseAssure on the embedded default: SQLite, a real Celery worker (with beat) on kombu's
# filesystem transport, demo data, web at http://$HOST:$PORT/ (127.0.0.1:8000 by default).
#
#   HOST=0.0.0.0 PORT=8080 DATA_DIR=/tmp/ca bash scripts/dev.sh
#
# Ctrl-C, or SIGTERM to this script, stops the web server and the worker (and its beat), and
# the script returns once they have gone. Each step prints a line with the seconds since start.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export DATA_DIR="${DATA_DIR:-$PWD/var}"
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
  echo "PORT must be a number from 1 to 65535 (got '$PORT')." >&2
  exit 2
fi

start_us=${EPOCHREALTIME/[.,]/}
step() {
  local now_us=${EPOCHREALTIME/[.,]/}
  local tenths=$(((now_us - start_us) / 100000))
  printf '[%4d.%ds] %s\n' $((tenths / 10)) $((tenths % 10)) "$*"
}

# Each background process leads its own process group (job control), so a stop reaches its
# children too: runserver's reloader child, the worker's pool and its embedded beat.
set -m
children=()
stopping=0
stop() {
  ((stopping)) && return
  stopping=1
  ((${#children[@]})) || return 0
  trap '' INT TERM
  step "stopping the web server and the worker"
  local pid
  # runserver's whole group (its reloader runs the server in a child); the worker's main
  # process only, which stops its pool and beat itself (a warm shutdown: the task in hand
  # is finished). Whatever is left after 20 s is killed, group and all.
  [ -n "${web:-}" ] && { kill -TERM -- "-$web" 2>/dev/null || true; }
  [ -n "${worker:-}" ] && { kill -TERM "$worker" 2>/dev/null || true; }
  for _ in $(seq 200); do
    local alive=0
    for pid in "${children[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${children[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  step "stopped"
}
trap 'stop; exit 0' INT TERM
trap 'stop' EXIT

mkdir -p var "$DATA_DIR"
# Install only when pyproject.toml (or the Python) changed since the last install.
stamp=var/install.stamp
wanted=$(python3 -c 'import hashlib, sys
print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest(), sys.version.split()[0])')
if [ ! -x .venv/bin/python ]; then
  step "creating .venv"
  python3 -m venv .venv
  rm -f "$stamp"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  step "installing the project and its dependencies (pyproject.toml changed or first start)"
  rm -f "$stamp"
  .venv/bin/pip install --disable-pip-version-check --progress-bar on -e ".[dev]"
  echo "$wanted" >"$stamp"
  step "installed"
else
  step "dependencies up to date (pyproject.toml unchanged since the last install)"
fi

# One Python process for both: Django starts once.
step "migrating the database in $DATA_DIR and loading the demo council"
DJANGO_SETTINGS_MODULE=backend.settings .venv/bin/python -c '
import django
from django.core.management import call_command
django.setup()
call_command("migrate", interactive=False, verbosity=0)
call_command("seed_demo")
'

step "starting the web server on http://$HOST:$PORT/"
# `migrate` has just run the system checks.
.venv/bin/python manage.py runserver --skip-checks "$HOST:$PORT" </dev/null &
web=$!
children+=("$web")

step "starting the Celery worker and beat (log: $DATA_DIR/worker.log)"
.venv/bin/celery -A backend worker --beat --loglevel=INFO --concurrency=2 \
  --without-gossip --without-mingle --without-heartbeat \
  --schedule="$DATA_DIR/celerybeat-schedule" >"$DATA_DIR/worker.log" 2>&1 </dev/null &
worker=$!
children+=("$worker")

# Poll /health/ with bash's own /dev/tcp: no process started per attempt.
probe_host=$HOST
[ "$HOST" = 0.0.0.0 ] && probe_host=127.0.0.1
healthy() {
  local reply=""
  { exec 3<>"/dev/tcp/$probe_host/$PORT"; } 2>/dev/null || return 1
  printf 'GET /health/ HTTP/1.0\r\nHost: %s\r\n\r\n' "$probe_host" >&3
  IFS= read -r -t 5 reply <&3 || true
  exec 3<&- 3>&-
  [[ "$reply" == HTTP/*" 200"* ]]
}
until healthy; do
  for pid in "${children[@]}"; do
    kill -0 "$pid" 2>/dev/null || { step "a process stopped during start-up; see above and $DATA_DIR/worker.log"; exit 1; }
  done
  sleep 0.3
done
step "ready"
cat <<TEXT

CaseAssure is running at http://$HOST:$PORT/  (API docs: http://$HOST:$PORT/api/docs/)
Demo logins (password: caseassure-demo-2026):
  qa.lead                 QA lead, manages every team
  manager.child-protection-one (and manager.<team> for each team)
  auditor.1 .. auditor.8  QA auditors
  sw0101 .. sw1106        social workers (practitioner role): findings of their cases, their actions
  internal.audit          internal audit (read-only)
  admin                   administrator
Press Ctrl-C to stop the web server and the worker.

TEXT

# Whichever child ends first (or a signal) ends the run; the EXIT trap stops the other.
set +e
wait -n "${children[@]}"
status=$?
step "a process ended by itself (status $status); stopping the rest"
exit "$status"
