import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { Chart, LineController, LineElement, PointElement, LinearScale, Legend, Tooltip } from 'chart.js';
import type { DashboardUiState, FromDashboard, RunSummary, ToDashboard } from '../../src/common/messages';
import { connectHost } from '../shared/host';
import { readPalette, onThemeChange } from '../shared/theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

const app = document.getElementById('app')!;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text; // Text only: run names and logs are untrusted.
  return node;
}

const header = el('header', { class: 'toolbar' });
const title = el('h1', {}, 'ActFocus Dashboard');
const status = el('span', { id: 'status', role: 'status' }, 'Connecting…');
const refresh = document.createElement('vscode-button');
refresh.id = 'refresh';
refresh.textContent = 'Refresh';
header.append(title, status, refresh);

const runList = el('ul', { id: 'runs', class: 'run-list' });
const canvasBox = el('div', { class: 'chart-box' });
const canvas = el('canvas', { id: 'success-chart', 'aria-label': 'Success rate' });
canvasBox.append(canvas);
app.append(header, runList, canvasBox);

const palette = readPalette();
const chart = new Chart(canvas, {
  type: 'line',
  data: { datasets: [{ label: 'success rate', data: [], borderColor: palette.series[0], pointRadius: 0 }] },
  options: {
    animation: false,
    parsing: false,
    responsive: true,
    maintainAspectRatio: false,
    scales: {
      x: { type: 'linear', title: { display: true, text: 'step', color: palette.foreground }, ticks: { color: palette.foreground }, grid: { color: palette.grid } },
      y: { type: 'linear', min: 0, max: 1, ticks: { color: palette.foreground }, grid: { color: palette.grid } },
    },
    plugins: { legend: { labels: { color: palette.foreground } } },
  },
});
onThemeChange(() => {
  const p = readPalette();
  chart.data.datasets[0]!.borderColor = p.series[0];
  for (const axis of ['x', 'y'] as const) {
    const s = chart.options.scales![axis]!;
    s.ticks!.color = p.foreground;
    s.grid!.color = p.grid;
  }
  chart.update('none');
});

function renderRuns(runs: RunSummary[]): void {
  runList.replaceChildren(
    ...runs.map((r) => {
      const li = el('li', { 'data-run': r.id });
      li.append(el('span', { class: 'run-name' }, r.id), el('vscode-badge', {}, r.status));
      return li;
    }),
  );
}

const host = connectHost<FromDashboard, ToDashboard, DashboardUiState>((msg) => {
  switch (msg.t) {
    case 'init':
      status.textContent = `Connected to ActFocus ${msg.extensionVersion} · ${msg.runs.length === 0 ? 'no runs yet' : `${msg.runs.length} run(s)`}`;
      renderRuns(msg.runs);
      break;
    case 'runs':
      status.textContent = `${msg.runs.length} run(s)`;
      renderRuns(msg.runs);
      break;
  }
});
refresh.addEventListener('click', () => host.post({ t: 'command', command: 'refresh' }));
// Ready handshake: the extension sends nothing until it hears this, so no message is lost.
host.post({ t: 'ready' });
