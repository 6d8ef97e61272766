import { z } from 'zod';

/** A `true` / `false` variable, `defaultValue` when unset; any other value is refused. */
export function booleanSetting(defaultValue = false) {
  return z
    .enum(['true', 'false'])
    .default(defaultValue ? 'true' : 'false')
    .transform((value) => value === 'true');
}

/** One setting: the environment variable it comes from and its schema (default included). */
export interface SettingDefinition {
  variable: string;
  schema: z.ZodType;
}

export type SettingDefinitions = Record<string, SettingDefinition>;

/** The typed values of settings `K` of `D`. */
export type SettingValues<D extends SettingDefinitions, K extends keyof D = keyof D> = {
  -readonly [P in K]: z.output<D[P]['schema']>;
};

export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: ReadonlyArray<ConfigProblem>) {
    super(
      `invalid configuration:\n${problems.map((problem) => `  ${problem.variable}: ${problem.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * Parses settings `keys` of `definitions` from `env`: an empty variable counts as unset, and
 * every bad variable becomes a problem (the caller adds cross-setting checks, then throws).
 */
export function readSettings<D extends SettingDefinitions, K extends keyof D & string>(
  definitions: D,
  keys: Iterable<K>,
  env: NodeJS.ProcessEnv,
): { values: Partial<SettingValues<D, K>>; problems: ConfigProblem[] } {
  const values: Partial<Record<K, unknown>> = {};
  const problems: ConfigProblem[] = [];
  for (const key of keys) {
    const { variable, schema } = definitions[key]!;
    const raw = env[variable];
    const result = schema.safeParse(raw === undefined || raw.trim() === '' ? undefined : raw);
    if (result.success) {
      values[key] = result.data;
    } else {
      problems.push({ variable, message: result.error.issues.map((issue) => issue.message).join('; ') });
    }
  }
  return { values: values as Partial<SettingValues<D, K>>, problems };
}

/** One side of a cross-setting check: the variable and the value read (undefined when unset or bad). */
export interface ReadSetting {
  variable: string;
  value: unknown;
}

/**
 * A cross-setting check: when both settings were read as numbers and `holds(a, b)` is false, a
 * problem on `a`'s variable. A setting that is unset or failed on its own is not checked again.
 */
function requireRelation(
  problems: ConfigProblem[],
  a: ReadSetting,
  b: ReadSetting,
  holds: (a: number, b: number) => boolean,
  message: string,
): void {
  if (typeof a.value === 'number' && typeof b.value === 'number' && !holds(a.value, b.value)) {
    problems.push({ variable: a.variable, message });
  }
}

/** "`a` must be below `b`" (see requireRelation). */
export function requireBelow(problems: ConfigProblem[], a: ReadSetting, b: ReadSetting): void {
  requireRelation(problems, a, b, (x, y) => x < y, `must be below ${b.variable}`);
}

/** "`a` must not exceed `b`" (see requireRelation). */
export function requireAtMost(problems: ConfigProblem[], a: ReadSetting, b: ReadSetting): void {
  requireRelation(problems, a, b, (x, y) => x <= y, `must not exceed ${b.variable}`);
}

/** "`a` must differ from `b`", unless `b` is 0 (an ephemeral port, never a clash; see requireRelation). */
export function requireDifferentPort(problems: ConfigProblem[], a: ReadSetting, b: ReadSetting): void {
  requireRelation(problems, a, b, (x, y) => y === 0 || x !== y, `must differ from ${b.variable}`);
}

/** The variables of `definitions`, for docs and their test. */
export function variablesOf(definitions: SettingDefinitions): string[] {
  return Object.values(definitions).map((definition) => definition.variable);
}
