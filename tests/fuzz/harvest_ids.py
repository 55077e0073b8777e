"""Prints the ids of the demo organisation, one per line, for the ID scalar
of hooks.py: usage `harvest_ids.py URL TOKEN`."""

import json
import sys
import urllib.request

url, token = sys.argv[1], sys.argv[2]


def graphql(query):
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.load(response)
    if body.get("errors"):
        print(f"harvest_ids: {body['errors'][0]['message']}", file=sys.stderr)
    return body.get("data") or {}


def ids(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "id" and isinstance(inner, str):
                yield inner
            else:
                yield from ids(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from ids(inner)


first = graphql(
    """{ campaigns(first: 20) { edges { node { id questionnaire { id items { id } }
           reports(first: 3) { edges { node { id } } } } } }
         programmes { edges { node { id axes { id } roles { id } interventions { id }
           communities { id } trainingModules { id } } } }
         questionnaires(first: 20) { edges { node { id } } }
         people(first: 40) { edges { node { id } } }
         analyticalGrids { id }
         disseminationPlans(first: 10) { edges { node { id } } } }"""
)
found = set(ids(first))
for edge in (first.get("programmes") or {}).get("edges", []):
    programme = edge["node"]["id"]
    more = graphql(
        f"""{{ matchings(programmeId: "{programme}", first: 30) {{ edges {{ node {{ id
               learner {{ id }} tutor {{ id }} }} }} }}
             programmeReports(programmeId: "{programme}", first: 3) {{ edges {{ node {{ id }} }} }} }}"""
    )
    found.update(ids(more))
for value in sorted(found):
    print(value)
