#!/usr/bin/env bash
# Journey 2, transfer (po-informatiediensten; Besluit bekostiging WPO 2022 art 10): a learner of
# school A (16AH00, Emmen) enrolls at school B (03WU00, Borger-Odoorn). A gets a transfer notice,
# reads it, and handles it: its enrollment ends on the day before B's start. B learns only that a
# notice was sent. Run follow.ts for school A alongside to see the notice arrive live.
#
#   bash docs/clients/transfer.sh     # against `npm start`, from the project folder
set -euo pipefail

URL=${URL:-http://127.0.0.1:4000/graphql}
: "${OLD_SCHOOL_TOKEN:=$(npm run -s token -- --role VENDOR --vendor 00000001800866472000 --school 16AH00)}"
: "${NEW_SCHOOL_TOKEN:=$(npm run -s token -- --role VENDOR --vendor 00000001800866472000 --school 03WU00)}"
PGN=345678011

# POSTs one request ($2) as the viewer whose token is $1; prints the answer as one line.
graphql() {
  local answer
  answer=$(curl -sS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" -d "$2")
  echo "$answer"
}
# Prints one value of the JSON on stdin, by a JavaScript expression on it (jq -r does this too).
json() { node -e "const answer = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(answer$1)"; }

echo '# School A enrolls the learner'
graphql "$OLD_SCHOOL_TOKEN" '{"query": "mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id branch { id brin6 } } transferNoticeCount } }",
  "variables": {"input": {"documentId": "transfer-example-a",
    "learner": {"pgn": "'"$PGN"'", "birthDate": "2018-05-14", "gender": "MALE", "postcode": "7822 HG"},
    "providerCode": "010A823", "locationCode": "646X831", "offeredProgrammeId": "5cbfc5b3-130a-52b4-b91b-6764dbc69471",
    "startDate": "2024-08-01", "group": 3, "schoolEnrollmentNumber": "T1"}}}'

# The learner has moved: B enrolls them from 1 December while A's enrollment is still open.
echo '# School B enrolls the same learner: A gets a notice, B only the count'
graphql "$NEW_SCHOOL_TOKEN" '{"query": "mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id branch { id brin6 } } transferNoticeCount } }",
  "variables": {"input": {"documentId": "transfer-example-b",
    "learner": {"pgn": "'"$PGN"'", "birthDate": "2018-05-14", "gender": "MALE", "postcode": "7881 AB"},
    "providerCode": "002A620", "locationCode": "909X705", "offeredProgrammeId": "09260344-615a-55cf-9ed5-766de322055d",
    "startDate": "2026-12-01", "group": 3, "schoolEnrollmentNumber": "W7"}}}'

# A sees what the law lets it know: the PGN, where the learner goes, and from when; nothing else (README, Transfers).
# (A school's system would ask for the OPEN ones; this one asks for all, so that it can run again.)
echo "# School A reads its notices, newest first"
notices=$(graphql "$OLD_SCHOOL_TOKEN" '{"query": "{ transferNotices(first: 10) { totalCount edges { node { id status learnerPgn newStartDate proposedEndDate newProvider { id code name } newLocation { id code branches { id brin6 name } } enrollment { id startDate } } } } }"}')
echo "$notices"
NOTICE_ID=$(echo "$notices" | json ".data.transferNotices.edges.find((edge) => edge.node.learnerPgn === '$PGN').node.id")

# Acknowledging is A's answer to the notice: its enrollment ends on the proposed day, so that the
# learner counts for funding at one school only (funding.sh shows the statuses).
echo '# School A handles the notice'
graphql "$OLD_SCHOOL_TOKEN" '{"query": "mutation($input: AcknowledgeTransferInput!) { acknowledgeTransfer(input: $input) { notice { id status handledAt } enrollment { id endDate endReason } } }",
  "variables": {"input": {"documentId": "transfer-example-ack", "noticeId": "'"$NOTICE_ID"'"}}}'
