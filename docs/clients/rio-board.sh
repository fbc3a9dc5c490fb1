#!/usr/bin/env bash
# RIO kept by a board (README, "RIO changes by boards"): the board of o.b.s. De Meander (12LU00, in
# Borger) registers a second location for the school and offers basisonderwijs there; the school's
# system (the demo vendor, mandated for RIO and ROD_PO) enrolls a learner at it at once; the board ends
# the programme yesterday, after which the enrollment's funding status changes and a later start is
# refused; then the location's history. Run again, it gets the same answers: each change is a
# document, received once.
#
#   bash docs/clients/rio-board.sh     # against `npm start`, from the project folder
set -euo pipefail

URL=${URL:-http://127.0.0.1:4000/graphql}
: "${RIO_BOARD_TOKEN:=$(npm run -s token -- --role BOARD --board 042B554)}"
: "${RIO_SCHOOL_TOKEN:=$(npm run -s token -- --role VENDOR --vendor 00000001800866472000 --school 12LU00)}"
# 12LU's provider: its RIO code, derived from the BRIN4 (README, RIO codes).
PROVIDER=008A418
# Today and yesterday as the register counts days: in the Netherlands.
day() { node -e "const [y, m, d] = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Amsterdam' }).split('-').map(Number); console.log(new Date(Date.UTC(y, m - 1, d + $1)).toISOString().slice(0, 10))"; }
TODAY=$(day 0)
YESTERDAY=$(day -1)

# POSTs one request ($2) as the viewer whose token is $1; prints the answer as one line.
graphql() {
  local answer
  answer=$(curl -sS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" -d "$2")
  echo "$answer"
}
# Prints one value of the JSON on stdin, by a JavaScript expression on it (jq -r does this too).
json() { node -e "const answer = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(answer$1)"; }
# Funding assesses again from RIO's stream a moment after a change (the learners register takes it in
# before it checks an enrollment): asks again, for up to five seconds, until the answer holds what the
# expression $1 on it tests; prints the last.
until_answer() {
  local answer
  for _ in $(seq 50); do
    answer=$(graphql "$2" "$3")
    [ "$(echo "$answer" | json "$1")" = true ] && break
    sleep 0.1
  done
  echo "$answer"
}

echo '# The board registers a location for 12LU00: a new address, so a location code the register issues'
opened=$(graphql "$RIO_BOARD_TOKEN" '{"query": "mutation($input: RegisterLocationInput!) { registerLocation(input: $input) { id startDate endDate branch { id brin6 } location { id code maintainedBy address { id street houseNumber postcode city } } } }",
  "variables": {"input": {"documentId": "rio-board-example-location", "brin6": "12LU00",
    "address": {"street": "Molenstraat", "houseNumber": "5", "postcode": "9531 CH", "city": "BORGER", "municipalityCode": "1681"},
    "startDate": "2024-08-01"}}}')
echo "$opened"
LOCATION=$(echo "$opened" | json .data.registerLocation.location.code)

echo '# The board offers basisonderwijs there: an offered programme with an id the register issues'
offered=$(graphql "$RIO_BOARD_TOKEN" '{"query": "mutation($input: RegisterOfferedProgrammeInput!) { registerOfferedProgramme(input: $input) { id kind name startDate endDate maintainedBy } }",
  "variables": {"input": {"documentId": "rio-board-example-programme", "providerCode": "'"$PROVIDER"'", "locationCode": "'"$LOCATION"'", "kind": "BASISONDERWIJS", "startDate": "2024-08-01"}}}')
echo "$offered"
PROGRAMME=$(echo "$offered" | json .data.registerOfferedProgramme.id)

ENROLL='mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id branch { id brin6 } location { id code } fundingStatus { id countDate outcome reasons } } } }'
enrollment() { # $1: document id, $2: PGN, $3: start date
  echo '{"query": "'"$ENROLL"'", "variables": {"input": {"documentId": "'"$1"'",
    "learner": {"pgn": "'"$2"'", "birthDate": "2019-05-14", "gender": "MALE", "postcode": "9531 CH"},
    "providerCode": "'"$PROVIDER"'", "locationCode": "'"$LOCATION"'", "offeredProgrammeId": "'"$PROGRAMME"'",
    "startDate": "'"$3"'", "group": 2, "schoolEnrollmentNumber": "M1"}}}'
}

echo '# The school enrolls a learner at the new location at once; the answer carries the provisional funding status'
enrolled=$(graphql "$RIO_SCHOOL_TOKEN" "$(enrollment rio-board-example-enroll 432198702 2024-08-01)")
echo "$enrolled"
ENROLLMENT=$(echo "$enrolled" | json .data.enrollLearner.enrollment.id)

echo "# The board ends the programme: $YESTERDAY was its last day"
graphql "$RIO_BOARD_TOKEN" '{"query": "mutation($input: EndOfferedProgrammeInput!) { endOfferedProgramme(input: $input) { id startDate endDate } }",
  "variables": {"input": {"documentId": "rio-board-example-end", "offeredProgrammeId": "'"$PROGRAMME"'", "endDate": "'"$YESTERDAY"'"}}}'

echo '# The enrollment no longer counts on the current count date: its programme has ended'
until_answer '.data.enrollment.fundingStatus.outcome === "NOT_FUNDABLE"' "$RIO_SCHOOL_TOKEN" \
  '{"query": "query($id: ID!) { enrollment(id: $id) { id fundingStatus { id countDate outcome reasons explanation } } }", "variables": {"id": "'"$ENROLLMENT"'"}}'

echo '# A learner starting there today is refused, naming the programme'
graphql "$RIO_SCHOOL_TOKEN" "$(enrollment rio-board-example-late 432198805 "$TODAY")"

echo "# The location's uses and history: who changed what, from which day"
graphql "$RIO_BOARD_TOKEN" '{"query": "query($code: ID!) { location(code: $code) { id code startDate endDate uses { id startDate endDate branch { id brin6 } } history { id kind effectiveOn recordedAt by fields { id field before after } } } }",
  "variables": {"code": "'"$LOCATION"'"}}'
