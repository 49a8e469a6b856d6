// The host's Python (the virtual environment scripts/setup.sh creates), for cross-language tests.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const PYTHON = join(ROOT, '.venv', 'bin', 'python');

export function python(args: string[], input?: string): string {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/setup.sh (scripts/test.sh does)`);
  return execFileSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', input, maxBuffer: 64 << 20 });
}
