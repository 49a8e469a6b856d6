import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { FromHParams, ToHParams } from '../../src/common/messages';
import { HPARAMS, validateHParam, type HParamSpec } from '../../src/common/hparams';
import { connectHost } from '../shared/host';
import { el } from '../shared/dom';

// Every hyperparameter from hparams.json, grouped; ActFocus knobs first. Inline validation with the
// same rule the host applies; live ones can be applied to a running run, all can be kept for the next.
const ORDER = ['actfocus', 'optim', 'schedule', 'rollout', 'task', 'eval', 'logging'];
const app = document.getElementById('app')!;
const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();


const form = el('form', { id: 'hparams', class: 'hp-form' });
for (const group of ORDER) {
  const specs = HPARAMS.filter((h) => h.group === group);
  if (!specs.length) continue;
  const fs = el('fieldset', { 'data-group': group });
  fs.append(el('legend', {}, group === 'actfocus' ? 'ActFocus' : group[0]!.toUpperCase() + group.slice(1)));
  for (const spec of specs) fs.append(row(spec));
  form.append(fs);
}

function row(spec: HParamSpec): HTMLElement {
  const wrap = el('div', { class: 'hp-row', 'data-name': spec.name });
  const id = `hp-${spec.name}`;
  const label = el('label', { for: id }, spec.name);
  if (spec.live) label.append(el('span', { class: 'live-badge', title: 'Can change while a run is training' }, 'live'));
  let input: HTMLInputElement | HTMLSelectElement;
  if (spec.type === 'enum') {
    input = el('select', { id });
    for (const c of spec.choices!) input.append(el('option', { value: c }, c));
  } else {
    input = el('input', { id, type: 'number', min: String(spec.min), max: String(spec.max), step: spec.type === 'int' ? '1' : 'any' });
  }
  const error = el('div', { class: 'hp-error', id: `${id}-error`, role: 'alert' });
  input.addEventListener('input', () => check(spec.name));
  inputs.set(spec.name, input);
  wrap.append(label, input, el('div', { class: 'hp-desc' }, spec.description), error);
  return wrap;
}

function value(name: string): number | string {
  const spec = HPARAMS.find((h) => h.name === name)!;
  const raw = inputs.get(name)!.value;
  return spec.type === 'enum' ? raw : raw.trim() === '' ? NaN : Number(raw);
}

function check(name: string): boolean {
  const problem = validateHParam(name, value(name));
  const input = inputs.get(name)!;
  document.getElementById(`hp-${name}-error`)!.textContent = problem ?? '';
  input.toggleAttribute('aria-invalid', !!problem);
  return !problem;
}

const actions = el('div', { class: 'hp-actions' });
const target = el('select', { id: 'target', 'aria-label': 'Running run' });
const apply = document.createElement('vscode-button');
apply.id = 'apply';
apply.textContent = 'Apply to running run';
const useNext = document.createElement('vscode-button');
useNext.id = 'use-next';
useNext.textContent = 'Use for next run';
useNext.setAttribute('secondary', '');
const result = el('div', { id: 'result', role: 'status' });
actions.append(target, apply, useNext, result);
app.append(actions, form);


function setRuns(runs: { id: string; status: string }[], selected?: string): void {
  const keep = selected ?? target.value;
  target.replaceChildren(...runs.map((r) => el('option', { value: r.id }, `${r.id} (${r.status})`)));
  if (runs.some((r) => r.id === keep)) target.value = keep;
  apply.toggleAttribute('disabled', runs.length === 0);
  if (!runs.length) target.append(el('option', { value: '' }, 'no running run'));
}

function allValid(names: string[]): boolean {
  return names.map(check).every(Boolean);
}

const host = connectHost<FromHParams, ToHParams, unknown>((msg) => {
  if (msg.t === 'init') {

    for (const [k, v] of Object.entries(msg.values)) {
      const input = inputs.get(k);
      if (input) input.value = String(v);
    }
    setRuns(msg.runs, msg.target);
  } else if (msg.t === 'runs') setRuns(msg.runs);
  else if (msg.t === 'propose') {
    for (const [k, v] of Object.entries(msg.values)) {
      const input = inputs.get(k);
      if (input) {
        input.value = String(v);
        check(k);
      }
    }
    result.textContent = `From the what-if: ${Object.entries(msg.values).map(([k, v]) => `${k}=${v}`).join(', ')}. Apply or keep for the next run.`;
    result.className = '';
  }
  else {
    result.textContent = msg.message;
    result.className = msg.ok ? '' : 'error';
  }
});

apply.addEventListener('click', () => {
  if (apply.hasAttribute('disabled') || !target.value) return;
  const names = HPARAMS.filter((h) => h.live).map((h) => h.name);
  if (!allValid(names)) return void (result.textContent = 'Fix the highlighted values first');
  host.post({ t: 'apply', runId: target.value, values: Object.fromEntries(names.map((n) => [n, value(n)])) });
});
useNext.addEventListener('click', () => {
  const names = HPARAMS.map((h) => h.name);
  if (!allValid(names)) return void (result.textContent = 'Fix the highlighted values first');
  host.post({ t: 'useForNext', values: Object.fromEntries(names.map((n) => [n, value(n)])) });
});
host.post({ t: 'ready' });
