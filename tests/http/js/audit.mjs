// Runs graphql-http's auditServer against the URL given as the first argument and prints one
// JSON line: every audit's id, name, status (ok | warn | error) and reason.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
const rows = results.map((r) => ({
  id: r.id,
  name: r.name,
  status: r.status,
  reason: r.status === 'ok' ? '' : r.reason,
}));
process.stdout.write(JSON.stringify(rows) + '\n');
