#!/usr/bin/env bash
# Journey 4, absence (verzuim; LPW art 21a, Besluit ROD art 13-14): a school records a learner's
# unauthorised absence per day part until the register says 16 hours within 4 weeks are reached,
# files the report it proposes, and the municipality where the learner lives (Emmen, 0114, from
# the postcode) finds it in its inbox, takes it in treatment and closes it. The school sees each
# step. To see the steps arrive live, run follow.ts alongside with FOLLOW=absenceReportUpdated and
# the school's or the municipality's token.
#
#   bash docs/clients/absence.sh     # against `npm start`, from the project folder
set -euo pipefail

URL=${URL:-http://127.0.0.1:4000/graphql}
: "${SCHOOL_TOKEN:=$(npm run -s token -- --role VENDOR --vendor 00000001800866472000 --school 16AH00)}"
: "${MUNICIPALITY_TOKEN:=$(npm run -s token -- --role MUNICIPALITY --municipality 0114)}"

# POSTs one request ($2) as the viewer whose token is $1; prints the answer as one line.
graphql() {
  local answer
  answer=$(curl -sS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" -d "$2")
  echo "$answer"
}
# Prints one value of the JSON on stdin, by a JavaScript expression on it (jq -r does this too).
json() { node -e "const answer = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(answer$1)"; }

echo '# The school enrolls the learner'
enrolled=$(graphql "$SCHOOL_TOKEN" '{"query": "mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } learner { id residence { id municipalityCode } } } }",
  "variables": {"input": {"documentId": "absence-example-enroll",
    "learner": {"pgn": "678901004", "birthDate": "2017-11-02", "gender": "MALE", "postcode": "7822 HG"},
    "providerCode": "010A823", "locationCode": "646X831", "offeredProgrammeId": "5cbfc5b3-130a-52b4-b91b-6764dbc69471",
    "startDate": "2024-08-01", "group": 4, "schoolEnrollmentNumber": "V1"}}}')
echo "$enrolled"
ENROLLMENT_ID=$(echo "$enrolled" | json .data.enrollLearner.enrollment.id)

# Four mornings of 4 hours: 16 hours within 4 weeks (28 days). Nothing is filed yet.
ABSENCES='[{"date": "2026-10-05", "dayPart": "MORNING", "hours": 4}, {"date": "2026-10-06", "dayPart": "MORNING", "hours": 4},
  {"date": "2026-10-07", "dayPart": "MORNING", "hours": 4}, {"date": "2026-10-08", "dayPart": "MORNING", "hours": 4}]'
echo '# The school records the absence: is the threshold reached?'
graphql "$SCHOOL_TOKEN" '{"query": "mutation($input: RecordAbsenceInput!) { recordAbsence(input: $input) { countedFrom reached { startDate reachedOn hours } proposal { kind startDate endDate } } }",
  "variables": {"input": {"documentId": "absence-example-record", "enrollmentId": "'"$ENROLLMENT_ID"'", "absences": '"$ABSENCES"'}}}'

echo '# The school files the proposed report: routed at once to the municipality of residence'
reported=$(graphql "$SCHOOL_TOKEN" '{"query": "mutation($input: ReportAbsenceInput!) { reportAbsence(input: $input) { report { id kind status totalHours municipalityCode } } }",
  "variables": {"input": {"documentId": "absence-example-report", "enrollmentId": "'"$ENROLLMENT_ID"'",
    "kind": "SIXTEEN_HOURS", "startDate": "2026-10-05", "endDate": "2026-10-08", "absences": '"$ABSENCES"',
    "suspectedReason": "Says he feels ill on Monday mornings", "schoolAction": "Talked with the parents on 9 October",
    "municipalityActionWanted": true, "contact": {"name": "J. de Vries", "role": "intern begeleider", "email": "ib@example.org"}}}}')
echo "$reported"
REPORT_ID=$(echo "$reported" | json .data.reportAbsence.report.id)

# A municipality reads the learners who live in it through their reports, and nothing more.
echo "# The municipality reads its inbox"
graphql "$MUNICIPALITY_TOKEN" '{"query": "{ absenceReports(filter: { status: REGISTERED }) { totalCount edges { node { id kind totalHours suspectedReason municipalityActionWanted contact { id name email } branch { id brin6 name } learner { id pgn birthDate } } } } }"}'

echo '# The municipality takes it in treatment'
graphql "$MUNICIPALITY_TOKEN" '{"query": "mutation($input: ChangeAbsenceReportStatusInput!) { changeAbsenceReportStatus(input: $input) { report { id status } } }",
  "variables": {"input": {"documentId": "absence-example-treat", "reportId": "'"$REPORT_ID"'", "status": "IN_TREATMENT", "note": "Home visit planned"}}}'

echo '# The municipality closes it'
graphql "$MUNICIPALITY_TOKEN" '{"query": "mutation($input: ChangeAbsenceReportStatusInput!) { changeAbsenceReportStatus(input: $input) { report { id status } } }",
  "variables": {"input": {"documentId": "absence-example-close", "reportId": "'"$REPORT_ID"'", "status": "CLOSED", "note": "Back at school every morning"}}}'

echo '# The school reads its report, with every step'
graphql "$SCHOOL_TOKEN" '{"query": "query($id: ID!) { absenceReport(id: $id) { id status history { id from to byRole by note } } }",
  "variables": {"id": "'"$REPORT_ID"'"}}'
