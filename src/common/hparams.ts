// Hyperparameter definitions and token roles, from the host's hparams.json (the single source).
import spec from '../../host/actfocus/hparams.json';

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
  if (!p) return `unknown setting ${name}`;
  if (p.type === 'enum') return p.choices!.includes(String(value)) ? undefined : `${name}: choose one of ${p.choices!.join(', ')}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${name}: expected a number`;
  if (p.type === 'int' && !Number.isInteger(value)) return `${name}: expected an integer`;
  if (value < p.min! || value > p.max!) return `${name}: ${value} is out of range; allowed ${p.min} to ${p.max}`;
  return undefined;
}
