import * as path from 'node:path';
import { t } from '@vscode/l10n';

export interface SetupStep {
  id: 'venv' | 'pip' | 'torch' | 'host' | 'check';
  title: string;
  cmd: string;
  args: string[];
}

/** The virtual environment's interpreter. */
export function venvPython(venvDir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? path.join(venvDir, 'Scripts', 'python.exe') : path.join(venvDir, 'bin', 'python');
}

/**
 * The set-up's commands, in order (pure; tested). No shell: each is [program, args]. PyTorch is installed
 * on its own first, from the index its build comes from (torchArgs, see torchPlan.ts); the host's own
 * install then finds it satisfied. fresh: the environment does not exist yet (else it is repaired in place).
 */
export function setupSteps(basePython: string, venvDir: string, hostDir: string, torchArgs: string[], fresh = true,
  platform: NodeJS.Platform = process.platform): SetupStep[] {
  const py = venvPython(venvDir, platform);
  return [
    ...(fresh ? [{ id: 'venv' as const, title: t('Creating the virtual environment'), cmd: basePython, args: ['-m', 'venv', venvDir] }] : []),
    { id: 'pip', title: t('Updating pip'), cmd: py, args: ['-m', 'pip', 'install', '--upgrade', 'pip'] },
    { id: 'torch', title: t('Installing PyTorch'), cmd: py, args: torchArgs },
    { id: 'host', title: t('Installing the training host'), cmd: py, args: ['-m', 'pip', 'install', hostDir] },
    { id: 'check', title: t('Checking the host'), cmd: py, args: ['-m', 'actfocus', '--version'] },
  ];
}

/**
 * What the set-up does with the environment it finds (pure; tested). markerText: its marker file, written
 * last by a finished set-up; want: the marker this set-up would write; hasPython: its interpreter exists.
 * 'check': complete and current — reused if it still runs the host, else repaired; 'repair': reinstall in
 * place (an unfinished set-up, or another host version or PyTorch build); 'fresh': create it.
 */
export function setupAction(markerText: string | undefined, want: object, hasPython: boolean): 'check' | 'repair' | 'fresh' {
  if (!hasPython) return 'fresh';
  try {
    if (markerText !== undefined && JSON.stringify(JSON.parse(markerText)) === JSON.stringify(want)) return 'check';
  } catch {
    /* a marker cut short is no marker */
  }
  return 'repair';
}
