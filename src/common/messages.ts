// The one definition of every message between the extension host and its webviews.
// Imported by both bundles; discriminated on `t`. No `vscode` or DOM imports here.

/** Extension → dashboard webview. */
export type ToDashboard =
  | { t: 'init'; extensionVersion: string; runs: RunSummary[] }
  | { t: 'runs'; runs: RunSummary[] };

/** Dashboard webview → extension. */
export type FromDashboard =
  | { t: 'ready' }
  | { t: 'command'; command: DashboardCommand };

export type DashboardCommand = 'refresh';

export interface RunSummary {
  id: string;
  status: string;
  step: number;
  totalSteps: number;
}

/** Persisted webview UI state (setState/getState); only UI and navigation, never data. */
export interface DashboardUiState {
  selectedRunIds: string[];
}

const fromDashboardTags: ReadonlySet<string> = new Set(['ready', 'command']);

/** Narrow an untrusted value posted by a webview to a FromDashboard message, or undefined. */
export function parseFromDashboard(value: unknown): FromDashboard | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const t = (value as { t?: unknown }).t;
  if (typeof t !== 'string' || !fromDashboardTags.has(t)) return undefined;
  if (t === 'command') {
    const command = (value as { command?: unknown }).command;
    return command === 'refresh' ? { t, command } : undefined;
  }
  return { t: 'ready' };
}
