#!/usr/bin/env bash
# A certification body's whole walkthrough on the running engine (`make run`, i.e. `worker.py --api`):
# a candidacy from its contract to the decision, recorded late as bodies do (every fact dated when it
# happened, in the past), then the cycle, its timeline, the public list and the body's agenda.
#
#   bash examples/walkthrough.sh [CANDIDATE_ID] [AGENDA_FILE]
#
# Runnable on any day: every date is computed from today's date in Paris (the cycle's territory,
# moselle, keeps Paris time). GNU date is needed.
#   CANDIDATE_ID    default mairie-de-rive-<timestamp>, so that each run opens a new candidacy
#   AGENDA_FILE     where the agenda is written, default echeances.ics
# Environment:
#   SPPLUS          the command line (default .venv/bin/spplus of this repository)
#   SPPLUS_API_URL  where the engine's API is (default http://127.0.0.1:8000)
#   SPPLUS_TOKEN    a body token; unset: one is created with `spplus token create`, an administrator's
#                   tool that works on the engine's machine only (the engine's SPPLUS_DATA or
#                   SPPLUS_DATABASE_URL must be the same here)
#   SPPLUS_BODY     the certification body (default oc-alpha); with SPPLUS_TOKEN, the token's body
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SPPLUS=${SPPLUS:-$ROOT/.venv/bin/spplus}
export SPPLUS_API_URL=${SPPLUS_API_URL:-http://127.0.0.1:8000}
BODY=${SPPLUS_BODY:-oc-alpha}
ID=${1:-mairie-de-rive-$(date +%Y%m%d%H%M%S)}
AGENDA=${2:-echeances.ics}

step() { printf '==> %s\n' "$*"; }

# Dates relative to today in Paris, all from one reading of the clock (noon avoids any DST edge).
TODAY=$(TZ=Europe/Paris date +%F)
ago() { TZ=Europe/Paris date -d "$TODAY 12:00 $1 days ago" +%F; }
CONTRACT=$(ago 120)   # contract signed with the body
SELF=$(ago 110)       # self-assessment (at most 12 months before the audit)
SURVEYS=$(ago 100)    # both surveys closed (at most 6 months before the audit)
DOSSIER=$(ago 65)     # dossier received, more than a month before the visit
PLAN=$(ago 50)        # audit plan sent, at least 10 working days before the visit
VISIT=$(ago 30)       # the visit, one day on site
REPORT=$(ago 19)      # report sent and received, within 21 days after the visit
# The decision is today: the candidate's 10 days for observations closed on the report's day + 10.

step "today is $TODAY (Paris); candidacy $ID for $BODY, API at $SPPLUS_API_URL"

if [[ -z "${SPPLUS_TOKEN:-}" ]]; then
    step "creating a body token for $BODY (spplus token create: an administrator's tool, on the engine's machine)"
    created=$("$SPPLUS" token create --role body --body "$BODY" --name "$BODY, walkthrough")
    SPPLUS_TOKEN=${created%%$'\n'*}   # first line: token <id> (body for <body>): <secret>
    echo "${SPPLUS_TOKEN%%: *}"
    SPPLUS_TOKEN=${SPPLUS_TOKEN##*: }
fi
export SPPLUS_TOKEN

step "starting the candidacy $ID (contract signed $CONTRACT, Moselle, two sites)"
candidate=$(mktemp --suffix=.yaml)
trap 'rm -f "$candidate"' EXIT
cat > "$candidate" <<EOF
id: $ID
name: Mairie de Rive
territory: moselle
sites:
  - {id: hdv, name: Hôtel de ville}
  - {id: mairie-annexe, name: Mairie annexe du port}
agents_in_contact: 64
certification_body: $BODY
contract_signed: $CONTRACT
EOF
"$SPPLUS" cycle start "$candidate"

step "recording the self-assessment done on $SELF"
"$SPPLUS" cycle event "$ID" - --id "$ID-self-assessment" <<EOF
type: self_assessment
done_on: $SELF
global_result: 68
EOF

step "recording the user survey closed on $SURVEYS (the report's summary: note 76.28, 84 admissible of 1200 asked)"
"$SPPLUS" cycle event "$ID" - --id "$ID-survey-users" <<EOF
type: survey
kind: user
closed_on: $SURVEYS
solicited: 1200
summary: {note: 76.28, admissible: 84}
EOF

step "recording the agent survey closed on $SURVEYS (note 58, 40 admissible of 64 agents)"
"$SPPLUS" cycle event "$ID" - --id "$ID-survey-agents" <<EOF
type: survey
kind: agent
closed_on: $SURVEYS
solicited: 64
summary: {note: 58, admissible: 40}
EOF

step "recording the audit dates: a one-day visit of the Hôtel de ville on $VISIT (already held)"
"$SPPLUS" cycle event "$ID" - --id "$ID-audit-dates" <<EOF
type: audit_dates
audit: initial
visit_start: $VISIT
visit_end: $VISIT
sites: [hdv]
EOF

step "recording the dossier received on $DOSSIER, every item of rules/procedures.yaml"
"$SPPLUS" cycle event "$ID" - --id "$ID-dossier" <<EOF
type: dossier
received_on: $DOSSIER
contents: [identification, organisation-chart, training-plan, self-assessment, user-sampling-method,
           survey-results, improvement-plan, quality-indicators]
EOF

step "recording the audit plan sent on $PLAN"
"$SPPLUS" cycle event "$ID" - --id "$ID-audit-plan" <<EOF
type: audit_plan
sent_on: $PLAN
auditors: [C. Durand]
EOF

step "recording the visit's scores, engagement by engagement"
"$SPPLUS" cycle event "$ID" - --id "$ID-visit" <<EOF
type: visit
scores:
  engagements: {1: 72, 2: 68, 3: 75, 4: 61, 5: 70, 6: 64, 7: 80, 8: 60}
EOF

step "recording the report sent and received on $REPORT"
"$SPPLUS" cycle event "$ID" - --id "$ID-report" <<EOF
type: report
sent_on: $REPORT
received_on: $REPORT
EOF

step "recording the decision taken today, $TODAY: Bronze, as the rules propose"
"$SPPLUS" cycle event "$ID" - --id "$ID-decision" <<EOF
type: decision
decided_on: $TODAY
tier: bronze
EOF

step "showing the cycle: phase, label and open deadlines"
"$SPPLUS" cycle show "$ID"

step "showing the cycle's timeline"
"$SPPLUS" cycle timeline "$ID"

step "reading the public list (no token needed): $ID must be on it"
public=$("$SPPLUS" public-list --format csv)
printf '%s\n' "$public"
if ! grep -q "^$ID," <<<"$public"; then
    echo "walkthrough: $ID is not on the public list" >&2
    exit 1
fi

step "downloading the body's agenda of open deadlines to $AGENDA"
curl -fsS -H "Authorization: Bearer $SPPLUS_TOKEN" "$SPPLUS_API_URL/agenda.ics" -o "$AGENDA"
echo "$(grep -c '^BEGIN:VEVENT' "$AGENDA" || true) deadline(s) in $AGENDA"
