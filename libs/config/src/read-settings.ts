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

/** The variables of `definitions`, for docs and their test. */
export function variablesOf(definitions: SettingDefinitions): string[] {
  return Object.values(definitions).map((definition) => definition.variable);
}
