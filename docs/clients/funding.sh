#!/usr/bin/env bash
# Journey 3, funding (po-bekostigen): whether each enrollment counts on a count date (teldatum,
# 1 February) and why not, the counts a school and its board see, and the operator's count-date
# run that makes them final. The school here is 06MY00 (Basisschool De Rank, Emmen) of board
# 041B624. A school sees its statuses change live with follow.ts and FOLLOW=fundingStatusChanged.
#
#   bash docs/clients/funding.sh     # against `npm start`, from the project folder
set -euo pipefail

URL=${URL:-http://127.0.0.1:4000/graphql}
: "${SCHOOL_TOKEN:=$(npm run -s token -- --role VENDOR --vendor 00000001800866472000 --school 06MY00)}"
: "${BOARD_TOKEN:=$(npm run -s token -- --role BOARD --board 041B624)}"
: "${OPERATOR_TOKEN:=$(npm run -s token -- --role OPERATOR)}"
# Last year's count date: its registration window (28 days) has closed, so the operator may run it.
PAST_COUNT_DATE=2026-02-01

# POSTs one request ($2) as the viewer whose token is $1; prints the answer as one line.
graphql() {
  local answer
  answer=$(curl -sS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" -d "$2")
  echo "$answer"
}

echo '# The school enrolls a learner; the answer carries the status on the current count date'
graphql "$SCHOOL_TOKEN" '{"query": "mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id fundingStatus { id countDate fundingYear phase outcome reasons } } } }",
  "variables": {"input": {"documentId": "funding-example-1",
    "learner": {"pgn": "567890004", "birthDate": "2019-09-30", "gender": "FEMALE", "postcode": "7821 AB"},
    "providerCode": "004A392", "locationCode": "406X321", "offeredProgrammeId": "eb93f439-389b-57e3-8821-efec81f5bd54",
    "startDate": "2024-08-01", "group": 2, "schoolEnrollmentNumber": "R1"}}}'

# Without countDate a status is for the current count date (the earliest whose window is open);
# for another count date, name it. The explanation says why, with the rules.
echo "# The school's enrollments with their status, now and on $PAST_COUNT_DATE"
graphql "$SCHOOL_TOKEN" '{"query": "query($past: Date) { enrollments(first: 50) { totalCount edges { node { id learner { id pgn } current: fundingStatus { id countDate outcome reasons } past: fundingStatus(countDate: $past) { id countDate phase outcome reasons explanation } } } } }",
  "variables": {"past": "'"$PAST_COUNT_DATE"'"}}'

echo "# The school's counts on the current count date"
graphql "$SCHOOL_TOKEN" '{"query": "{ fundingCounts(groupBy: BRANCH) { id countDate phase code counted notCounted byReason { id reason enrollments } } }"}'

echo "# The board's counts, per board and per branch"
graphql "$BOARD_TOKEN" '{"query": "{ board: fundingCounts(groupBy: BOARD) { id code phase counted notCounted } branches: fundingCounts(groupBy: BRANCH) { id code counted notCounted } }"}'

# The run makes every status of that count date FINAL and fixes the overview per board; it runs
# once (a second run is CONFLICT), and only after the window has closed.
echo "# The operator runs count date $PAST_COUNT_DATE"
graphql "$OPERATOR_TOKEN" '{"query": "mutation($day: Date!) { runCountDate(countDate: $day) { id countDate fundingYear phase registrationDeadline finalisedAt } }",
  "variables": {"day": "'"$PAST_COUNT_DATE"'"}}'

# Registered today, the enrollment came long after that count date's window: LATE_REGISTRATION.
echo "# The board's final overview of $PAST_COUNT_DATE"
graphql "$BOARD_TOKEN" '{"query": "query($day: Date) { fundingCounts(countDate: $day, groupBy: BOARD) { id code phase counted notCounted byReason { id reason enrollments } } }",
  "variables": {"day": "'"$PAST_COUNT_DATE"'"}}'
