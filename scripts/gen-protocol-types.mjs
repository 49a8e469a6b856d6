// Generates src/protocol/types.generated.ts from docs/protocol.schema.json, the one definition of the
// run-directory records. `node scripts/gen-protocol-types.mjs --check` fails when the file is stale
// (the unit tests run it), so the TypeScript types can never drift from the schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { compile } from 'json-schema-to-typescript';

const SCHEMA = new URL('../docs/protocol.schema.json', import.meta.url);
const OUT = new URL('../src/protocol/types.generated.ts', import.meta.url);
const ROOTS = ['run', 'heartbeat', 'event', 'controlRequest', 'trajectory', 'trajectoryIndexEntry'];

export async function generate() {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  const root = {
    title: 'RunDirectoryProtocol',
    type: 'object',
    properties: Object.fromEntries(ROOTS.map((k) => [k, { $ref: `#/$defs/${k}` }])),
    required: ROOTS,
    additionalProperties: false,
    $defs: schema.$defs,
  };
  const ts = await compile(root, 'RunDirectoryProtocol', {
    bannerComment: '// Generated from docs/protocol.schema.json by scripts/gen-protocol-types.mjs. Do not edit.',
    additionalProperties: false,
    unreachableDefinitions: false,
    style: { singleQuote: true, printWidth: 120 },
  });
  return ts;
}

const ts = await generate();
if (process.argv.includes('--check')) {
  const current = readFileSync(OUT, 'utf8');
  if (current !== ts) {
    console.error('src/protocol/types.generated.ts is stale: run `npm run gen:protocol`');
    process.exit(1);
  }
} else {
  writeFileSync(OUT, ts);
}
