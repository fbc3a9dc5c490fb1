#!/usr/bin/env bash
# Journey 1, enroll (po-inwinnen): a school's administration system enrolls a learner and gets back,
# in the same answer, what the register made of it: the branch its RIO codes point to, the
# municipality of residence its postcode gives, and the provisional funding status.
#
#   bash docs/clients/enroll.sh     # against `npm start`, from the project folder
#
# Each answer is printed as one line of JSON, after a line saying what was asked.
set -euo pipefail

URL=${URL:-http://127.0.0.1:4000/graphql}
# The demo vendor acting for 16AH00 (OBS 't Eenspan, Emmen), a school the seed mandated it for.
: "${SCHOOL_TOKEN:=$(npm run -s token -- --role VENDOR --vendor 00000001800866472000 --school 16AH00)}"

# POSTs one request ($2) as the viewer whose token is $1; prints the answer as one line.
graphql() {
  local answer
  answer=$(curl -sS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" -d "$2")
  echo "$answer"
}

# The school names itself by its RIO codes (provider, location, offered programme: rio.sh finds
# them), and the message by a documentId of its own.
ENROLL='{"query": "mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id startDate group branch { id brin6 name } fundingStatus { id countDate phase outcome reasons explanation } } learner { id pgn pgnKind residence { id municipalityCode source } } transferNoticeCount } }",
  "variables": {"input": {"documentId": "enroll-example-1",
    "learner": {"pgn": "234567004", "birthDate": "2019-03-01", "gender": "FEMALE", "postcode": "7822 HG", "familyName": "Jansen", "givenNames": "Sanne"},
    "providerCode": "010A823", "locationCode": "646X831", "offeredProgrammeId": "5cbfc5b3-130a-52b4-b91b-6764dbc69471",
    "startDate": "2024-08-01", "group": 2, "schoolEnrollmentNumber": "E1"}}}'

echo '# The school enrolls the learner'
graphql "$SCHOOL_TOKEN" "$ENROLL"

# A client that did not get an answer (a timeout, a dropped connection) sends the same document
# again: the register answers what it answered the first time and stores nothing twice.
echo '# The same document again'
graphql "$SCHOOL_TOKEN" "$ENROLL"

# A refused input is a GraphQL error with extensions.code and extensions.field; nothing is stored.
echo '# A PGN that is neither a BSN nor an onderwijsnummer'
graphql "$SCHOOL_TOKEN" '{"query": "mutation($input: EnrollLearnerInput!) { enrollLearner(input: $input) { enrollment { id } } }",
  "variables": {"input": {"documentId": "enroll-example-2",
    "learner": {"pgn": "123456789", "birthDate": "2019-03-01", "gender": "MALE", "postcode": "7822 HG"},
    "providerCode": "010A823", "locationCode": "646X831", "offeredProgrammeId": "5cbfc5b3-130a-52b4-b91b-6764dbc69471",
    "startDate": "2024-08-01", "group": 2, "schoolEnrollmentNumber": "E2"}}}'
