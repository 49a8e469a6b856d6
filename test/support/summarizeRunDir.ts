// Prints the extension's verdict on a run directory, now, as JSON: `node --import tsx test/support/summarizeRunDir.ts RUN_DIR`.
// Lets the host's fault tests (host/tests/test_faults.py) judge liveness with the extension's own code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeRun } from '../../src/common/runSummary';

const dir = process.argv[2]!;
const read = (name: string) => { try { return readFileSync(join(dir, name), 'utf8'); } catch { return undefined; } };
const hb = read('heartbeat.json');
console.log(JSON.stringify(summarizeRun('run', read('run.json'), hb ? JSON.parse(hb) : undefined, Date.now() / 1000)));
