// Building the host's command line (pure). The host is spawned without a shell with these arguments
// as an array, so nothing here is ever interpreted by a shell; values are still validated so a
// hostile run name or path is refused with a message instead of creating odd folders.
import * as path from 'node:path';
import { validateHParam } from '../common/hparams';
import { isSafeRunId } from '../common/runSummary';
import { t } from '@vscode/l10n';

export interface NewRunForm {
  name: string;
  /** Hyperparameters by name (env, algo, weighting, device, steps, alpha, …); others keep their defaults. */
  hparams: Record<string, number | string>;
  /** Built-in model (warm-started first) when undefined; else a local model folder. */
  modelPath?: string;
  envConfig?: Record<string, unknown>;
  pretrainSteps?: number;
}

export type Built = { ok: true; args: string[]; runDir: string } | { ok: false; error: string };

const CONTROL = /[\u0000-\u001f\u007f]/;

export function buildTrainArgs(runsDir: string, form: NewRunForm): Built {
  if (!isSafeRunId(form.name)) {
    return { ok: false, error: t('Run name "{0}" is not allowed: use letters, digits, \'.\', \'_\' or \'-\' (up to 128, starting with a letter or digit).', form.name) };
  }
  const args = ['-m', 'actfocus', 'train', '--run-dir', path.join(runsDir, form.name)];
  for (const [name, value] of Object.entries(form.hparams)) {
    const problem = validateHParam(name, value);
    if (problem) return { ok: false, error: problem };
    args.push(`--${name.replace(/_/g, '-')}`, String(value));
  }
  if (form.modelPath !== undefined) {
    if (!path.isAbsolute(form.modelPath) || CONTROL.test(form.modelPath)) {
      return { ok: false, error: t('Model path must be an absolute folder path without control characters: {0}', JSON.stringify(form.modelPath)) };
    }
    args.push('--model', form.modelPath);
  }
  if (form.envConfig && Object.keys(form.envConfig).length) args.push('--env-config', JSON.stringify(form.envConfig));
  if (form.pretrainSteps !== undefined) {
    if (!Number.isInteger(form.pretrainSteps) || form.pretrainSteps < 0) return { ok: false, error: t('pretrain steps: expected a non-negative integer') };
    args.push('--pretrain-steps', String(form.pretrainSteps));
  }
  return { ok: true, args, runDir: path.join(runsDir, form.name) };
}

/** The hyperparameters the New Run flow asks for; the rest come from the Hyperparameters view or defaults. */
export const ASKED = ['env', 'algo', 'weighting', 'device', 'steps'] as const;

/** A default run name: env-weighting-algo-YYYYMMDD-HHMMSS (always a safe id). */
export function defaultRunName(h: Record<string, number | string>, now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${h.env}-${h.weighting}-${h.algo}-${stamp}`;
}

export interface PythonChoice {
  path: string;
  source: 'setting' | 'python-extension' | 'default';
}

/** actfocus.pythonPath, else the Python extension's interpreter, else python3. */
export function choosePython(setting: string | undefined, pythonExtension: string | undefined): PythonChoice {
  if (setting && setting.trim()) return { path: setting.trim(), source: 'setting' };
  if (pythonExtension && pythonExtension.trim()) return { path: pythonExtension.trim(), source: 'python-extension' };
  return { path: 'python3', source: 'default' };
}

/** A run's main choices in one line: "frozenlake · grpo · actfocus · built-in model · 50 steps". */
export function describeChoices(h: Record<string, number | string>, modelPath: string | undefined): string {
  return [h.env, h.algo, h.weighting, modelPath ? path.basename(modelPath) : 'built-in model', `${h.steps} steps`, h.device === 'auto' ? '' : h.device]
    .filter(Boolean).join(' · ');
}

/**
 * Why the host `python` reported (`actfocus X.Y.Z`) cannot serve this extension, or undefined: the run
 * directory protocol and the command line change with versions, so they must match.
 */
export function hostVersionProblem(python: string, probed: string, extensionVersion: string): string | undefined {
  const found = /^actfocus (\S+)$/.exec(probed.trim())?.[1];
  if (found === extensionVersion) return undefined;
  const has = found ? t('the ActFocus training host {0}', found) : t('an unrecognised host ("{0}")', probed.trim().slice(0, 80));
  return t('"{0}" has {1}, and this extension is {2}: run "ActFocus: Set Up Training Host" to install the matching host, or choose another interpreter.', python, has, extensionVersion);
}
