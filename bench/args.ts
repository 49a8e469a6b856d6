// Command-line flags of the TypeScript benchmarks: `--name VALUE` numbers and `--json FILE`.
export function numArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** Where to write the result as JSON (--json FILE), if asked. */
export function jsonOut(): string | undefined {
  const i = process.argv.indexOf('--json');
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** A string flag `--name VALUE`. */
export function strArg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? String(process.argv[i + 1]) : dflt;
}
