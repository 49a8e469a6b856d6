// Inline inspection of *.trajectories.jsonl in the text editor: token text decorated by role and
// energy (only the visible lines, so large files stay fast), a hover with a token's numbers, and a
// CodeLens per record that opens it in the Trajectory Viewer. A file that is not a trajectories file
// gets one clear message and no decorations.
import * as vscode from 'vscode';
import { TOKEN_ROLES } from '../common/hparams';
import { FILE_SUFFIX, energyBucket, scanLine, tokenAt, type Scanned } from './trajectoryJsonl';
import { visibleText } from '../common/visibleText';
import { isRunId } from '../common/runSummary';

const ROLE_BG = ['rgba(55,148,255,0.16)', 'rgba(209,134,22,0.45)', 'rgba(128,128,128,0.22)'];
const MARGIN_LINES = 20;

export function isTrajectoriesDoc(doc: vscode.TextDocument): boolean {
  return doc.fileName.endsWith(FILE_SUFFIX);
}

export class TrajectoryEditorSupport implements vscode.HoverProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly roleTypes = ROLE_BG.map((bg) => vscode.window.createTextEditorDecorationType({ backgroundColor: bg, borderRadius: '2px' }));
  private readonly energyTypes = [0, 1, 2, 3, 4].map((k) => vscode.window.createTextEditorDecorationType({ borderStyle: 'none none solid none', borderWidth: `0 0 ${k < 2 ? 0 : k - 1}px 0`, borderColor: new vscode.ThemeColor('charts.red') }));
  private readonly cache = new Map<string, { version: number; lines: Map<number, Scanned> }>();
  private readonly warned = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    const soon = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.decorateVisible(), 50);
    };
    this.disposables.push(
      vscode.window.onDidChangeVisibleTextEditors(soon),
      vscode.window.onDidChangeTextEditorVisibleRanges(soon),
      vscode.workspace.onDidChangeTextDocument((e) => isTrajectoriesDoc(e.document) && soon()),
      vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString())),
    );
    soon();
  }

  private scanned(doc: vscode.TextDocument, line: number): Scanned {
    const key = doc.uri.toString();
    let c = this.cache.get(key);
    if (!c || c.version !== doc.version) this.cache.set(key, (c = { version: doc.version, lines: new Map() }));
    let s = c.lines.get(line);
    if (!s) c.lines.set(line, (s = scanLine(doc.lineAt(line).text)));
    return s;
  }

  decorateVisible(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const doc = editor.document;
      if (!isTrajectoriesDoc(doc)) continue;
      const roles: vscode.Range[][] = ROLE_BG.map(() => []);
      const energy: vscode.Range[][] = this.energyTypes.map(() => []);
      let good = 0;
      let firstBad: { line: number; reason: string } | undefined;
      for (const vr of editor.visibleRanges) {
        const from = Math.max(0, vr.start.line - MARGIN_LINES);
        const to = Math.min(doc.lineCount - 1, vr.end.line + MARGIN_LINES);
        for (let line = from; line <= to; line++) {
          const s = this.scanned(doc, line);
          if (!s.ok) {
            if (s.reason !== 'empty line') firstBad ??= { line, reason: s.reason };
            continue;
          }
          good++;
          const es = s.record.tokens.map((t) => t.energy).filter(Number.isFinite);
          const lo = Math.min(...es);
          const hi = Math.max(...es);
          for (const t of s.record.tokens) {
            if (t.end <= t.start) continue;
            const r = new vscode.Range(line, t.start, line, t.end);
            roles[t.role]?.push(r);
            energy[energyBucket(t.energy, lo, hi)]!.push(r);
          }
        }
      }
      this.roleTypes.forEach((type, k) => editor.setDecorations(type, roles[k]!));
      this.energyTypes.forEach((type, k) => editor.setDecorations(type, energy[k]!));
      if (!good && firstBad && !this.warned.has(doc.uri.toString())) {
        this.warned.add(doc.uri.toString());
        void vscode.window.showWarningMessage(vscode.l10n.t('{0} is not an ActFocus trajectories file (line {1}: {2}). Create one with "ActFocus: Export Trajectories as JSON Lines".',
          vscode.workspace.asRelativePath(doc.uri), firstBad.line + 1, firstBad.reason));
      }
    }
  }

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const s = this.scanned(doc, pos.line);
    if (!s.ok) return undefined;
    const t = tokenAt(s.record, pos.character);
    if (!t) return undefined;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**token** \`${JSON.stringify(visibleText(t.text)).replace(/`/g, 'ˋ')}\` · ${TOKEN_ROLES[t.role] ?? 'unknown role'}\n\n`);
    md.appendMarkdown(`| | |\n|---|---|\n| energy | ${t.energy} |\n| weight | ${t.weight} |\n| logprob | ${t.logprob} |\n| entropy | ${t.entropy} |\n| advantage | ${t.advantage} |\n`);
    md.isTrusted = false; // token text is data, never commands
    return new vscode.Hover(md, new vscode.Range(pos.line, t.start, pos.line, t.end));
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const out: vscode.CodeLens[] = [];
    // A cheap prefix match per line (no full parse): fast for large files.
    // The run name is any folder name, as a JSON string literal.
    const head = /^\{"v":1,"run":("(?:[^"\\]|\\.){1,1024}"),"position":(\d+),"step":(\d+)/;
    for (let line = 0; line < doc.lineCount; line++) {
      const m = head.exec(doc.lineAt(line).text.slice(0, 2000));
      if (!m) continue;
      let run: unknown;
      try {
        run = JSON.parse(m[1]!);
      } catch {
        continue;
      }
      if (!isRunId(run)) continue;
      out.push(new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
        title: vscode.l10n.t('Open in Trajectory Viewer (step {0}, #{1})', m[3]!, m[2]!), command: 'actfocus.showTrajectory', arguments: [run, Number(m[2])],
      }));
    }
    return out;
  }

  dispose(): void {
    clearTimeout(this.timer);
    [...this.roleTypes, ...this.energyTypes, ...this.disposables].forEach((d) => d.dispose());
  }
}
