// Runs the graphql-http audit suite (the GraphQL over HTTP specification's
// requirements) against an endpoint and fails on any MUST or SHOULD that
// is not met; MAY audits are reported only.
//
// Usage: node graphql-http-audit.mjs http://127.0.0.1:8080/graphql

import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http-audit.mjs URL');
  process.exit(2);
}

let unmet = 0;
let count = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  count += 1;
  const level = audit.name.split(' ')[0];
  const binding = level === 'MUST' || level === 'SHOULD';
  if (result.status !== 'ok' && binding) unmet += 1;
  const reason = result.status === 'ok' ? '' : `: ${result.reason}`;
  console.log(`${result.status.padEnd(5)} ${audit.name}${reason}`);
}
console.log(`${count} audits; ${unmet} MUST or SHOULD not met`);
process.exit(unmet === 0 ? 0 : 1);
