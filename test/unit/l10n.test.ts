// Every user-facing string can be translated: package.json's contributions through package.nls.json,
// the extension's messages through vscode.l10n.t / @vscode/l10n's t, collected in l10n/bundle.l10n.json
// (the file translators start from), kept current with `npm run gen:l10n`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Texts shown to the user in package.json's contributions, with where they are. */
function contributedTexts(pkg: Record<string, any>): [string, string][] {
  const c = pkg.contributes;
  const out: [string, string][] = [['description', pkg.description]];
  for (const cmd of c.commands) out.push([`command ${cmd.command}`, cmd.title]);
  for (const views of Object.values(c.views) as { id: string; name: string }[][]) for (const v of views) out.push([`view ${v.id}`, v.name]);
  for (const w of c.viewsWelcome) out.push([`welcome ${w.view}`, w.contents]);
  for (const [name, prop] of Object.entries(c.configuration.properties) as [string, Record<string, unknown>][]) {
    for (const f of ['description', 'markdownDescription']) if (prop[f] !== undefined) out.push([`${name} ${f}`, prop[f] as string]);
    for (const f of ['enumDescriptions', 'markdownEnumDescriptions']) for (const d of (prop[f] as string[] | undefined) ?? []) out.push([`${name} ${f}`, d]);
  }
  return out;
}

test('package.json shows no literal text: each contribution names a key that package.nls.json defines, and each key is used', () => {
  const pkg = JSON.parse(read('package.json'));
  const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;
  const texts = contributedTexts(pkg);
  assert.ok(texts.length > 30);
  const literal = texts.filter(([, v]) => !/^%[\w.-]+%$/.test(v));
  assert.deepEqual(literal, [], 'contribution text written in package.json instead of package.nls.json');
  const keys = texts.map(([, v]) => v.slice(1, -1));
  assert.deepEqual(keys.filter((k) => !(k in nls)), [], 'keys missing from package.nls.json');
  assert.deepEqual(Object.keys(nls).filter((k) => !keys.includes(k)), [], 'package.nls.json keys nothing uses');
  assert.equal(pkg.l10n, './l10n');
});

// A string literal or template literal where the user reads it: a notification's message, or the
// title / placeholder / prompt / detail / description of a quick pick, input box, dialog or progress.
const SHOWN_LITERAL = [
  /show(?:Information|Warning|Error)Message\(\s*['"`]/,
  /\b(?:title|placeHolder|prompt|detail|description|openLabel|tooltip)\s*[:=]\s*['"]/,
  /\b(?:title|placeHolder|prompt|detail|description|openLabel|tooltip)\s*[:=]\s*`(?!\$\(\w[\w~-]*\) \$\{)/,
];

// Text the webviews draw (chart titles here, the pages under webview/) is not translated yet: a known gap
// (docs/status.md), listed here so that it stays visible.
const WEBVIEW_TEXT = ['src/common/charts.ts'];

test('the extension\'s messages, titles and descriptions go through l10n (no literal text where the user reads it)', () => {
  const found: string[] = [];
  for (const file of tsFiles(join(ROOT, 'src'))) {
    if (file.endsWith('.generated.ts') || WEBVIEW_TEXT.includes(relative(ROOT, file))) continue;
    read(relative(ROOT, file)).split('\n').forEach((line, i) => {
      if (line.trimStart().startsWith('//') || line.trimStart().startsWith('*')) return;
      if (SHOWN_LITERAL.some((re) => re.test(line))) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test('the scan above catches a literal message, title and description (checked on planted lines)', () => {
  const planted = [
    "void vscode.window.showErrorMessage('Setting up failed');",
    'void vscode.window.showWarningMessage(`${x} is not a run`);',
    "await vscode.window.showQuickPick(items, { title: 'Score with which model?' });",
    "{ label: 'x', description: 'exported by this run' }",
    'this.item.tooltip = `ActFocus: ${id}`;',
  ];
  for (const line of planted) assert.ok(SHOWN_LITERAL.some((re) => re.test(line)), line);
  const fine = ["void vscode.window.showErrorMessage(vscode.l10n.t('Setting up failed'));", "{ title: vscode.l10n.t('Model folder') }",
    'label: `$(play) ${vscode.l10n.t(\'Start with defaults\')}`', 'item.description = f.description;'];
  for (const line of fine) assert.ok(!SHOWN_LITERAL.some((re) => re.test(line)), line);
});

test('l10n/bundle.l10n.json holds exactly the strings the sources translate (npm run gen:l10n)', () => {
  const out = mkdtempSync(join(tmpdir(), 'l10n-'));
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', '@vscode', 'l10n-dev', 'dist', 'cli.js'), 'export', '-o', out, join(ROOT, 'src')], { stdio: 'pipe' });
    const fresh = JSON.parse(readFileSync(join(out, 'bundle.l10n.json'), 'utf8'));
    const committed = JSON.parse(read('l10n/bundle.l10n.json'));
    assert.ok(Object.keys(fresh).length > 100);
    assert.deepEqual(committed, fresh, 'run `npm run gen:l10n` and commit l10n/bundle.l10n.json');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
