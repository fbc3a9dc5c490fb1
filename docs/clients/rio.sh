#!/usr/bin/env bash
# RIO lookups (institutions): a branch by BRIN6 with the RIO codes an enrollment names, the objects
# behind those codes, a municipality's schools a page at a time, and the OSR's answer whether a
# vendor may act for a school. Any viewer may read RIO; here the demo vendor acting for 16AH00.
# (Applying a newer DUO school file is a command, not a request: npm run rio:import, in the README.)
#
#   bash docs/clients/rio.sh     # against `npm start`, from the project folder
set -euo pipefail

URL=${URL:-http://127.0.0.1:4000/graphql}
: "${SCHOOL_TOKEN:=$(npm run -s token -- --role VENDOR --vendor 00000001800866472000 --school 16AH00)}"

# POSTs one request ($2) as the viewer whose token is $1; prints the answer as one line.
graphql() {
  local answer
  answer=$(curl -sS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $1" -d "$2")
  echo "$answer"
}
# Prints one value of the JSON on stdin, by a JavaScript expression on it (jq -r does this too).
json() { node -e "const answer = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(answer$1)"; }

# provider.code, location.code and an offeredProgrammes id are what enrollLearner asks for.
echo '# A branch by its BRIN6'
graphql "$SCHOOL_TOKEN" '{"query": "{ branch(brin6: \"16AH00\") { id brin6 name isMainBranch startDate endDate address { id street houseNumber postcode city municipality { id code name } } provider { id code brin4 name board { id code competentAuthorityNumber } } location { id code } offeredProgrammes { id kind name } } }"}'

# RIO codes are derived from DUO's BRIN codes, the same on every machine (README, RIO codes).
echo '# The location, provider and board behind those codes'
graphql "$SCHOOL_TOKEN" '{"query": "{ location(code: \"646X831\") { id code address { id postcode city } branches { id brin6 } } provider(code: \"010A823\") { id code brin4 name branches { id brin6 } offeredProgrammes { id kind } } board(code: \"042B830\") { id code competentAuthorityNumber providers { id code } } }"}'

# Pages follow BRIN6 order; each page's endCursor, passed as after, gives the next (first: at most
# 200). The filter: the branches in Emmen (CBS code 0114) that are open today.
PAGE='query($filter: BranchFilter, $after: String) { branches(filter: $filter, first: 20, after: $after) { totalCount edges { node { id brin6 name } } pageInfo { hasNextPage endCursor } } }'
FILTER='{"municipalityCode": "0114", "activeOn": "'"$(date +%F)"'"}'
AFTER=null
for ((n = 1; ; n++)); do
  echo "# The schools of Emmen open today, page $n"
  page=$(graphql "$SCHOOL_TOKEN" '{"query": "'"$PAGE"'", "variables": {"filter": '"$FILTER"', "after": '"$AFTER"'}}')
  echo "$page"
  [ "$(echo "$page" | json .data.branches.pageInfo.hasNextPage)" = true ] || break
  AFTER=\"$(echo "$page" | json .data.branches.pageInfo.endCursor)\"
done

# The OSR answers anyone with OK or NOK, nothing more; only the parties see the mandate itself.
echo '# May the demo vendor exchange ROD_PO (learners, funding) for 16AH00 today?'
graphql "$SCHOOL_TOKEN" '{"query": "{ mandateCheck(brin6: \"16AH00\", service: ROD_PO, vendorOin: \"00000001800866472000\") }"}'
