// Two bundles: the extension host (Node, CommonJS, `vscode` external) and the webview apps (browser IIFE).
// Type checking is separate (`npm run typecheck`); esbuild only strips types.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'info' };

const extension = {
  ...common,
  entryPoints: ['src/extension.ts'],
  outfile: 'dist/extension.js',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // onnxruntime-node carries native .node binaries that cannot be bundled.
  external: ['vscode', 'onnxruntime-node'],
};

// The scoring process: a separate bundle, forked by the extension (src/scoring/scorer.ts).
const scoreWorker = { ...extension, entryPoints: ['src/scoring/worker.ts'], outfile: 'dist/scoreWorker.js' };

const webviews = {
  ...common,
  entryPoints: { dashboard: 'webview/dashboard/main.ts', hparams: 'webview/hparams/main.ts', trajectory: 'webview/trajectory/main.ts' },
  outdir: 'dist/webview',
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
};

// A production build starts clean so no stale source maps end up in the .vsix.
if (production) rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/webview', { recursive: true });
cpSync('media/webview.css', 'dist/webview/webview.css');

if (watch) {
  for (const opts of [extension, scoreWorker, webviews]) await (await esbuild.context(opts)).watch();
} else {
  await Promise.all([esbuild.build(extension), esbuild.build(scoreWorker), esbuild.build(webviews)]);
}
