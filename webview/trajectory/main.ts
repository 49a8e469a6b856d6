import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { FromViewer, ToViewer, TrajectoryPayload } from '../../src/common/messages';
import { TOKEN_ROLES, HPARAMS, hparamDefault } from '../../src/common/hparams';
import { MODEL_OVERLAYS, OVERLAYS, findTokens, intensity, layoutBlocks, massByRole, overlayValues, scaleRange, whatIfWeights, type Block, type Overlay, type WhatIf } from '../../src/common/tokenOverlay';
import { connectHost } from '../shared/host';
import { setVisibleText } from '../shared/visible';
import { visibleText } from '../../src/common/visibleText';
import { el } from '../shared/dom';

// The trajectory viewer: observations as blocks, agent tokens as inline spans coloured by an overlay.
// Rendering is lazy: each block is a placeholder until it comes near the viewport (IntersectionObserver),
// and is emptied again far away, so a 50,000-token trajectory costs only what is on screen.
// Every token and observation text is inserted as text, never HTML, with hidden characters (bidi
// controls, zero-width…) shown as markers; each token is its own bidi isolate (CSS), so no token can
// reorder its neighbours.

const CHUNK = 400;
const NUMBERS = ['logprob', 'ref_logprob', 'entropy', 'ref_entropy', 'energy', 'weight', 'advantage'] as const;
const app = document.getElementById('app')!;


// ---- state ----
interface Pane {
  payload: TrajectoryPayload;
  root: HTMLElement;
  whatIf: Float64Array;
  /** The overlay's values and colour range, computed once per repaint (not per block as it scrolls in). */
  values: ArrayLike<number> | undefined;
  range: { lo: number; hi: number } | undefined;
  blocks: Block[];
  matches: number[];
}
const panes: Pane[] = [];
let overlay: Overlay = 'role';
let roleFilter = new Set([0, 1, 2]);
let runHParams: Record<string, number | string> = {};
let stepStats: { mu: number; sigma: number } | undefined;
// The run's values where it logged them, else the defaults (host/actfocus/hparams.json, the one definition).
function whatIfFrom(h: Record<string, unknown>): WhatIf {
  const num = (k: string) => (typeof h[k] === 'number' ? (h[k] as number) : (hparamDefault(k) as number));
  const weighting = typeof h.weighting === 'string' ? h.weighting : hparamDefault('weighting');
  return { weighting: weighting === 'uniform' ? 'uniform' : 'actfocus', alpha: num('alpha'), beta: num('beta'),
    signal: String(typeof h.signal === 'string' ? h.signal : hparamDefault('signal')), sigmaEps: num('sigma_eps'), otherWeight: num('other_weight') };
}
let wi: WhatIf = whatIfFrom({});
let cursor = -1; // keyboard-selected token of the first pane
let matchAt = -1;

// ---- toolbar ----
const bar = el('div', { class: 'toolbar viewer-bar' });
const title = el('span', { id: 'title', class: 'viewer-title' });
const overlaySel = el('select', { id: 'overlay', 'aria-label': 'Overlay' });
const OVERLAY_LABEL: Partial<Record<Overlay, string>> = { whatif: 'what-if weight', model_energy: 'model energy', model_logprob: 'model logprob', model_entropy: 'model entropy', energy_diff: 'model − logged energy' };
for (const o of OVERLAYS) {
  const opt = el('option', { value: o }, OVERLAY_LABEL[o] ?? o);
  opt.disabled = MODEL_OVERLAYS.includes(o); // until scored with a model
  overlaySel.append(opt);
}
const scoreBtn = document.createElement('vscode-button');
scoreBtn.id = 'score';
scoreBtn.textContent = 'Score with model…';
scoreBtn.title = 'Compute logprob, entropy and energy of every token with a model exported by `actfocus export-onnx`';
const scoreInfo = el('span', { id: 'score-info', class: 'muted' });
const find = el('input', { id: 'find', type: 'search', placeholder: 'Find (Enter: next)', 'aria-label': 'Find' });
const findCount = el('span', { id: 'find-count', class: 'muted' });
const filters = el('span', { class: 'role-filters' });
TOKEN_ROLES.forEach((r, code) => {
  const box = el('input', { type: 'checkbox', id: `filter-${r}`, 'aria-label': `Show ${r} tokens` });
  box.checked = true;
  box.addEventListener('change', () => {
    if (box.checked) roleFilter.add(code);
    else roleFilter.delete(code);
    roleFilter = new Set(roleFilter);
    repaint();
  });
  filters.append(el('label', { class: `role-chip role-${r}` }, ''), box);
  filters.lastElementChild!.previousElementSibling!.textContent = r;
});
const compare = el('select', { id: 'compare', 'aria-label': 'Compare with' });
bar.append(title, el('label', {}, 'Overlay'), overlaySel, find, findCount, filters, el('label', {}, 'Side by side'), compare, scoreBtn, scoreInfo);
scoreBtn.addEventListener('click', () => host.post({ t: 'score' }));

// ---- what-if ----
const whatIfBox = el('div', { class: 'toolbar whatif', id: 'whatif' });
const spec = (n: string) => HPARAMS.find((h) => h.name === n)!;
const alpha = el('input', { id: 'wi-alpha', type: 'range', min: '0', max: '1', step: '0.01', 'aria-label': 'alpha (reasoning weight)' });
const beta = el('input', { id: 'wi-beta', type: 'range', min: '0', max: String(Math.min(5, spec('beta').max!)), step: '0.05', 'aria-label': 'beta (redistribution)' });
const redistribute = el('input', { id: 'wi-actfocus', type: 'checkbox', 'aria-label': 'ActFocus weighting (off = uniform)' });
const signalSel = el('select', { id: 'wi-signal', 'aria-label': 'Signal' });
for (const c of spec('signal').choices!) signalSel.append(el('option', { value: c }, c));
const alphaVal = el('span', { id: 'wi-alpha-value' });
const betaVal = el('span', { id: 'wi-beta-value' });
const readout = el('span', { id: 'mass-readout', class: 'muted' });
const send = document.createElement('vscode-button');
send.id = 'send-hparams';
send.textContent = 'Use in Hyperparameters';
whatIfBox.append(el('strong', {}, 'What-if'), el('label', {}, 'ActFocus'), redistribute, el('label', {}, 'α'), alpha, alphaVal, el('label', {}, 'β'), beta, betaVal,
  el('label', {}, 'signal'), signalSel, readout, send);

const legend = el('div', { id: 'legend', class: 'legend' });
const panesBox = el('div', { id: 'panes', class: 'panes' });
const tooltip = el('div', { id: 'tooltip', class: 'tooltip', role: 'tooltip' });
tooltip.hidden = true;
app.append(bar, whatIfBox, legend, panesBox, tooltip);

/** The step's batch statistics apply only to the signal the run logged; another signal uses this trajectory's. */
function statsFor(): { mu: number; sigma: number } | undefined {
  return wi.signal === runHParams.signal ? stepStats : undefined;
}

// ---- rendering ----
function tokenStyle(p: Pane, i: number, range: { lo: number; hi: number } | undefined, values: ArrayLike<number> | undefined): string {
  const role = (p.payload.columns.role as number[])[i]!;
  if (!values) return `role-${TOKEN_ROLES[role]}`;
  const k = Math.round(intensity(values[i]!, range!) * 10);
  return `heat-${k}`;
}

/** Recompute what the colours depend on: the what-if weights, the overlay values and their scale. */
function recolour(p: Pane): void {
  p.whatIf = whatIfWeights(p.payload.columns as never, wi, statsFor());
  p.values = overlayValues(p.payload.columns as never, overlay, p.whatIf, wi.signal);
  p.range = p.values ? scaleRange(p.values) : undefined;
}

function fillBlock(p: Pane, div: HTMLElement, b: Block): void {
  if (div.dataset.filled === '1') return;
  div.dataset.filled = '1';
  div.style.minHeight = '';
  if (b.kind === 'observation') {
    setVisibleText(div, b.text);
    return;
  }
  const { values, range } = p;
  const texts = p.payload.columns.text as string[];
  const roles = p.payload.columns.role as number[];
  const match = new Set(p.matches);
  const frag = document.createDocumentFragment();
  for (let i = b.start; i < b.end; i++) {
    const s = document.createElement('span');
    s.className = `tok ${tokenStyle(p, i, range, values)}${roleFilter.has(roles[i]!) ? '' : ' dim'}${match.has(i) ? ' match' : ''}${i === cursor && p === panes[0] ? ' cursor' : ''}`;
    s.dataset.i = String(i);
    setVisibleText(s, texts[i] === '' ? '⏎' : texts[i]!);
    const cutFrom = cutOf(p).get(i);
    if (cutFrom !== undefined) s.append(el('span', { class: 'ctl cut', title: `the stored text is the first ${65535} bytes or less of ${cutFrom}` }, `⟨cut: ${cutFrom} bytes⟩`));
    frag.append(s);
  }
  div.replaceChildren(frag);
}

/** Tokens whose text the store cut (header "cut": [index, original bytes]), by index. */
const cuts = new WeakMap<TrajectoryPayload, Map<number, number>>();
function cutOf(p: Pane): Map<number, number> {
  let m = cuts.get(p.payload);
  if (!m) cuts.set(p.payload, (m = new Map((p.payload.header.cut ?? []).map(([i, n]) => [i, n] as [number, number]))));
  return m;
}

function emptyBlock(div: HTMLElement): void {
  if (div.dataset.filled !== '1') return;
  div.style.minHeight = `${div.offsetHeight}px`; // keep the scroll position stable
  div.replaceChildren();
  div.dataset.filled = '0';
}

const observer = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const div = e.target as HTMLElement;
    const p = panes[Number(div.dataset.pane)];
    if (!p) continue;
    if (e.isIntersecting) fillBlock(p, div, p.blocks[Number(div.dataset.block)]!);
    else emptyBlock(div);
  }
}, { root: null, rootMargin: '1500px 0px' });

function buildPane(p: Pane, index: number): void {
  observer.disconnect();
  p.root.replaceChildren();
  const h = p.payload.header;
  p.root.append(el('div', { class: 'pane-title' }, `step ${h.step} · group ${h.group} · #${h.index} · reward ${h.reward.toFixed(3)} · ${h.success ? 'success' : 'failure'} · ${h.n_tokens} tokens`));
  let turn = -1;
  p.blocks.forEach((b, k) => {
    if (b.turn !== turn) {
      turn = b.turn;
      const t = h.turns[turn]!;
      p.root.append(el('div', { class: 'turn-title' }, `Turn ${turn + 1} · reward ${t.reward}${t.valid ? '' : ' · invalid'}`));
    }
    const div = el('div', { class: b.kind === 'observation' ? 'obs' : 'tokens', 'data-pane': String(index), 'data-block': String(k) });
    // Estimated height until filled: ~12 tokens per line.
    div.style.minHeight = `${b.kind === 'observation' ? Math.ceil(b.text.length / 80 + 1) * 18 : Math.ceil((b.end - b.start) / 12) * 20}px`;
    p.root.append(div);
  });
  for (const q of panes) q.root.querySelectorAll<HTMLElement>('.obs, .tokens').forEach((d) => observer.observe(d));
}

/** Re-colour what is on screen (and reset the rest to placeholders), keeping the scroll position. */
function repaint(): void {
  for (const p of panes) {
    recolour(p);
    p.root.querySelectorAll<HTMLElement>('.tokens[data-filled="1"]').forEach((div) => {
      div.dataset.filled = '0';
      fillBlock(p, div, p.blocks[Number(div.dataset.block)]!);
    });
  }
  renderLegend();
  renderReadout();
  document.body.dataset.painted = String(performance.now());
}

function renderLegend(): void {
  legend.replaceChildren();
  if (overlay === 'role') {
    TOKEN_ROLES.forEach((r) => legend.append(el('span', { class: `tok role-${r}` }, r)));
    return;
  }
  const p = panes[0];
  if (!p) return;
  const range = p.range;
  if (!range) return;
  legend.append(el('span', { id: 'legend-lo' }, range.lo.toPrecision(3)));
  for (let k = 0; k <= 10; k++) legend.append(el('span', { class: `swatch heat-${k}` }, ''));
  legend.append(el('span', { id: 'legend-hi' }, range.hi.toPrecision(3)), el('span', { class: 'muted' }, ` ${overlay === 'whatif' ? 'what-if weight' : overlay}`));
}

function renderReadout(): void {
  const p = panes[0];
  if (!p) return;
  const now = massByRole(p.payload.columns as never, p.whatIf);
  const logged = massByRole(p.payload.columns as never, p.payload.columns.weight as number[]);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  readout.textContent = `weight mass: action ${pct(now.action)} (logged ${pct(logged.action)}), reasoning ${pct(now.reasoning)} (logged ${pct(logged.reasoning)})`;
  readout.dataset.action = String(now.action);
  alphaVal.textContent = wi.alpha.toFixed(2);
  betaVal.textContent = wi.beta.toFixed(2);
}

function showTooltip(p: Pane, i: number, x: number, y: number): void {
  const c = p.payload.columns;
  const cutFrom = cutOf(p).get(i);
  const lines = [`token ${i}: ${JSON.stringify(visibleText((c.text as string[])[i]!))}${cutFrom !== undefined ? ` (cut: ${cutFrom} bytes)` : ''}`, `role ${TOKEN_ROLES[(c.role as number[])[i]!]} · id ${(c.token_id as number[])[i]}`,
    ...NUMBERS.map((k) => `${k} ${Number((c[k] as number[])[i]).toFixed(4)}`), `what-if weight ${p.whatIf[i]!.toFixed(4)}`,
    ...(c.model_energy ? ['model_logprob', 'model_entropy', 'model_energy'].map((k) => `${k.replace('_', ' ')} ${Number((c[k] as number[])[i]).toFixed(4)}`) : [])];
  tooltip.replaceChildren(...lines.map((l) => el('div', {}, l)));
  tooltip.hidden = false;
  tooltip.style.left = `${Math.min(x + 12, window.innerWidth - 260)}px`;
  tooltip.style.top = `${y + 14}px`;
  tooltip.dataset.token = String(i);
}

panesBox.addEventListener('mouseover', (e) => {
  const t = (e.target as HTMLElement).closest<HTMLElement>('.tok[data-i]');
  const paneEl = (e.target as HTMLElement).closest<HTMLElement>('.pane');
  if (!t || !paneEl) return void (tooltip.hidden = true);
  const p = panes[Number(paneEl.dataset.index)]!;
  showTooltip(p, Number(t.dataset.i), (e as MouseEvent).clientX, (e as MouseEvent).clientY);
});
panesBox.addEventListener('mouseleave', () => (tooltip.hidden = true));

/** Bring token i of the first pane on screen and mark it. */
function goTo(i: number): void {
  const p = panes[0];
  if (!p) return;
  cursor = i;
  const k = p.blocks.findIndex((b) => b.kind === 'tokens' && i >= b.start && i < b.end);
  const div = p.root.querySelector<HTMLElement>(`[data-block="${k}"]`);
  if (!div) return;
  fillBlock(p, div, p.blocks[k]!);
  p.root.querySelectorAll('.cursor').forEach((s) => s.classList.remove('cursor'));
  const span = div.querySelector<HTMLElement>(`[data-i="${i}"]`);
  span?.classList.add('cursor');
  span?.scrollIntoView({ block: 'center' });
  const r = span?.getBoundingClientRect();
  if (r) showTooltip(p, i, r.left, r.bottom);
}

panesBox.tabIndex = 0;
panesBox.setAttribute('aria-label', 'Trajectory tokens: arrow keys move between tokens');
panesBox.addEventListener('keydown', (e) => {
  const p = panes[0];
  if (!p) return;
  const n = p.payload.header.n_tokens;
  const roles = p.payload.columns.role as number[];
  const step = (from: number, d: number) => {
    for (let i = from + d; i >= 0 && i < n; i += d) if (roleFilter.has(roles[i]!)) return i;
    return from;
  };
  const keys: Record<string, () => number> = { ArrowRight: () => step(cursor, 1), ArrowLeft: () => step(Math.max(cursor, 0), -1), Home: () => step(-1, 1), End: () => step(n, -1) };
  const f = keys[e.key];
  if (!f) return;
  e.preventDefault();
  goTo(f());
});

find.addEventListener('input', () => {
  for (const p of panes) p.matches = findTokens(p.payload.columns.text as string[], find.value);
  matchAt = -1;
  findCount.textContent = find.value ? `${panes[0]?.matches.length ?? 0} tokens` : '';
  repaint();
});
find.addEventListener('keydown', (e) => {
  const m = panes[0]?.matches ?? [];
  if (e.key !== 'Enter' || !m.length) return;
  matchAt = (matchAt + (e.shiftKey ? m.length - 1 : 1)) % m.length;
  goTo(m[matchAt]!);
});

overlaySel.addEventListener('change', () => {
  overlay = overlaySel.value as Overlay;
  repaint();
});
function readWhatIf(): void {
  wi = { ...wi, alpha: Number(alpha.value), beta: Number(beta.value), weighting: redistribute.checked ? 'actfocus' : 'uniform', signal: signalSel.value };
  // Stats of the logged step apply only to the logged signal.
  if (overlay !== 'whatif') {
    overlay = 'whatif';
    overlaySel.value = 'whatif';
  }
  repaint();
}
for (const c of [alpha, beta, redistribute, signalSel]) c.addEventListener('input', readWhatIf);
signalSel.addEventListener('change', readWhatIf);
send.addEventListener('click', () => host.post({ t: 'sendToHParams', values: { weighting: wi.weighting, alpha: wi.alpha, beta: wi.beta, signal: wi.signal } }));
compare.addEventListener('change', () => host.post({ t: 'compare', position: compare.value === '' ? null : Number(compare.value) }));

function setPane(index: number, payload: TrajectoryPayload | undefined): void {
  while (panes.length > index) panes.pop()!.root.remove();
  if (!payload) {
    panesBox.classList.toggle('two', false);
    return;
  }
  const root = el('section', { class: 'pane', 'data-index': String(index) });
  panesBox.append(root);
  const p: Pane = { payload, root, whatIf: new Float64Array(0), values: undefined, range: undefined, blocks: layoutBlocks(payload.header, CHUNK),
    matches: find.value ? findTokens(payload.columns.text as string[], find.value) : [] };
  recolour(p);
  panes[index] = p;
  panesBox.classList.toggle('two', panes.length > 1);
  buildPane(p, index);
}

const host = connectHost<FromViewer, ToViewer, unknown>((msg) => {
  const t0 = performance.now();
  if (msg.t === 'open') {
    runHParams = msg.hparams;
    stepStats = msg.signalStats;
    wi = whatIfFrom(runHParams);
    alpha.value = String(wi.alpha);
    beta.value = String(wi.beta);
    redistribute.checked = wi.weighting === 'actfocus';
    signalSel.value = wi.signal;
    title.textContent = `${msg.primary.runId} · trajectory ${msg.primary.position}`;
    compare.replaceChildren(el('option', { value: '' }, '(none)'), ...msg.siblings.map((s) => el('option', { value: String(s.position) }, `#${s.index} reward ${s.reward.toFixed(2)}${s.success ? ' ✓' : ''}`)));
    setPane(0, msg.primary);
    repaint();
  } else if (msg.t === 'scores') {
    const p = panes[0];
    if (p) {
      Object.assign(p.payload.columns, { model_logprob: msg.model_logprob, model_entropy: msg.model_entropy, model_energy: msg.model_energy });
      for (const o of overlaySel.options) if (MODEL_OVERLAYS.includes(o.value as Overlay)) o.disabled = false;
      overlay = 'energy_diff';
      overlaySel.value = overlay;
      const logged = p.payload.columns.energy as number[];
      const diffs = msg.model_energy.map((x, i) => Math.abs(x - logged[i]!));
      const finite = diffs.filter(Number.isFinite);
      // Tokens the model gave no finite energy are counted, never dropped silently: a model that scores
      // nothing must not read as a perfect match.
      scoreInfo.className = finite.length === diffs.length ? 'muted' : 'error';
      scoreInfo.textContent = finite.length
        ? `scored with ${msg.model}: ${Math.round(msg.tokensPerSecond)} tokens/s; max |model − logged energy| ${Math.max(...finite).toFixed(4)} over ${finite.length} of ${diffs.length} tokens`
        : `scored with ${msg.model}: no token got a finite energy (${diffs.length} tokens)`;
      repaint();
    }
  } else if (msg.t === 'compare') {
    setPane(1, msg.trajectory);
    repaint();
  } else if (panes.length) {
    // A failed action (scoring, comparing) must not hide the trajectory that is open.
    scoreInfo.textContent = msg.message;
    scoreInfo.className = 'error';
  } else {
    panesBox.replaceChildren(el('div', { class: 'error', id: 'viewer-error' }, msg.message));
  }
  // First paint of the new content: measured by bench/viewer_render.ts.
  requestAnimationFrame(() => (document.body.dataset.firstPaintMs = String(performance.now() - t0)));
});
host.post({ t: 'ready' });
