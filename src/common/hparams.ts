// Hyperparameter definitions and token roles, from the host's hparams.json (the single source).
import spec from '../../host/actfocus/hparams.json';
import { t } from '@vscode/l10n';

export interface HParamSpec {
  name: string;
  type: 'int' | 'float' | 'enum';
  default: number | string;
  min?: number;
  max?: number;
  choices?: string[];
  group: string;
  live?: boolean;
  description: string;
}

export const HPARAMS: readonly HParamSpec[] = spec.params as HParamSpec[];
export const TOKEN_ROLES: readonly string[] = spec.token_roles;
export const ROLE = {
  reasoning: TOKEN_ROLES.indexOf('reasoning'),
  action: TOKEN_ROLES.indexOf('action'),
  other: TOKEN_ROLES.indexOf('other'),
} as const;

export function hparamDefault(name: string): number | string {
  const p = HPARAMS.find((h) => h.name === name);
  if (!p) throw new Error(`unknown hyperparameter ${name}`);
  return p.default;
}

/** Validate one value against its definition: undefined when valid, else a message naming the field and range. */
export function validateHParam(name: string, value: unknown): string | undefined {
  const p = HPARAMS.find((h) => h.name === name);
  if (!p) return t('unknown setting {0}', name);
  if (p.type === 'enum') return p.choices!.includes(String(value)) ? undefined : t('{0}: choose one of {1}', name, p.choices!.join(', '));
  if (typeof value !== 'number' || !Number.isFinite(value)) return t('{0}: expected a number', name);
  if (p.type === 'int' && !Number.isInteger(value)) return t('{0}: expected an integer', name);
  if (value < p.min! || value > p.max!) return t('{0}: {1} is out of range; allowed {2} to {3}', name, value, p.min!, p.max!);
  return undefined;
}
