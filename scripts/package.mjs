// Builds the .vsix for one platform (default: this machine's), carrying only that platform's
// onnxruntime-node binary (the scoring process needs it; the bundle keeps it external).
//   node scripts/package.mjs [TARGET]   TARGET: linux-x64, linux-arm64, darwin-arm64, win32-x64, win32-arm64
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const target = process.argv[2] ?? `${process.platform}-${process.arch}`;
const [os, arch] = target.split('-');
const binDir = `node_modules/onnxruntime-node/bin/napi-v6/${os}/${arch}`;
try {
  statSync(binDir);
} catch {
  console.error(`no onnxruntime-node binary for ${target} (${binDir})`);
  process.exit(2);
}
execFileSync(process.execPath, ['esbuild.mjs', '--production'], { stdio: 'inherit' });
const ignore = `${readFileSync('.vscodeignore', 'utf8').trimEnd()}
!node_modules/onnxruntime-node/package.json
!node_modules/onnxruntime-node/dist/*.js
!${binDir}/**
!node_modules/onnxruntime-common/package.json
!node_modules/onnxruntime-common/dist/cjs/**/*.js
!node_modules/onnxruntime-common/dist/cjs/package.json
`;
mkdirSync('dist', { recursive: true });
writeFileSync('dist/.vscodeignore', ignore);
const out = target === `${process.platform}-${process.arch}` && !process.argv[2] ? 'dist/actfocus.vsix' : `dist/actfocus-${target}.vsix`;
execFileSync('npx', ['vsce', 'package', '--target', target, '--ignoreFile', 'dist/.vscodeignore', '--no-rewrite-relative-links', '--allow-missing-repository', '--out', out], { stdio: 'inherit' });
console.log(`${out}: ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB`);
