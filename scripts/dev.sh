#!/usr/bin/env bash
# Run CaseAssure on the embedded default: SQLite, a real Celery worker (with beat) on kombu's
# filesystem transport, demo data, web at http://127.0.0.1:8000/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
mkdir -p var
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[dev]" >var/pip.log 2>&1 \
  || { cat var/pip.log; exit 1; }
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py seed_demo
mkdir -p var
.venv/bin/celery -A backend worker --beat --loglevel=INFO --concurrency=2 \
  --without-gossip --without-mingle --without-heartbeat \
  --schedule=var/celerybeat-schedule >var/worker.log 2>&1 &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM
cat <<TEXT

CaseAssure is starting at http://127.0.0.1:8000/  (API docs: http://127.0.0.1:8000/api/docs/)
Celery worker log: var/worker.log
Demo logins (password: caseassure-demo-2026):
  qa.lead                 QA lead, manages every team
  manager.child-protection-one (and manager.<team> for each team)
  auditor.1 .. auditor.8  QA auditors
  sw0101 .. sw1106        social workers (practitioner role): findings of their cases, their actions
  internal.audit          internal audit (read-only)
  admin                   administrator
TEXT
.venv/bin/python manage.py runserver 127.0.0.1:8000
