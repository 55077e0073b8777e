"""Schemathesis hooks for fuzzing the GraphQL API (see run-schemathesis.sh).

- Strategies for the schema's own scalars (DateTime, NaiveDate, JSON,
  Upload), each mixing valid values with junk.
- IDs drawn half from the real ids of the demo organisation (a file named
  by FUZZ_IDS, one per line), so resolvers get past "not found".
- One check, `no_server_error`: a 5xx status, an error without a code, or
  an error coded INTERNAL or TIMEOUT is a failure. Errors with any other
  code (BAD_USER_INPUT, NOT_FOUND, FORBIDDEN...) are the API refusing bad
  input as it should.
"""

import os

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

junk = st.text(max_size=40).map(nodes.String)

schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda d: nodes.String(d.isoformat())),
        junk,
    ),
)
schemathesis.graphql.scalar(
    "NaiveDate",
    st.one_of(st.dates().map(lambda d: nodes.String(d.isoformat())), junk),
)
schemathesis.graphql.scalar(
    "JSON",
    st.one_of(
        junk,
        st.integers().map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.booleans().map(nodes.Boolean),
        st.lists(st.integers(min_value=-5, max_value=5).map(nodes.Int), max_size=5).map(nodes.List),
    ),
)
# An upload cannot travel inline; what the server says of a string is the test.
schemathesis.graphql.scalar("Upload", junk)

_ids_file = os.environ.get("FUZZ_IDS")
if _ids_file and os.path.exists(_ids_file):
    with open(_ids_file, encoding="utf-8") as f:
        _ids = sorted({line.strip() for line in f if line.strip()})
    if _ids:
        schemathesis.graphql.scalar(
            "ID", st.one_of(st.sampled_from(_ids).map(nodes.String), junk)
        )


@schemathesis.check
def no_server_error(ctx, response, case):
    """No 5xx, and every error carries a code that is not INTERNAL or TIMEOUT."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = response.json()
    except ValueError as e:
        raise AssertionError(f"the body is not JSON: {response.text[:200]}") from e
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or code in ("INTERNAL", "TIMEOUT"):
            raise AssertionError(f"{code or 'an error without a code'}: {error.get('message')}")
