import { ConfigurationError } from '@latentci/core';

/** Where settings fall back to: `process.env` by default, a record in tests. */
export type EnvironmentRecord = Readonly<Record<string, string | undefined>>;

export interface SettingSource {
  /** The setting's name as the user writes it (for messages), e.g. `secretKey`. */
  readonly name: string;
  /** The value given in the settings, if any: it wins over the environment. */
  readonly value: string | undefined;
  /** The environment variable read when `value` is absent, e.g. `HYPER_SECRETKEY`. */
  readonly variable: string;
  readonly env?: EnvironmentRecord | undefined;
}

/** The setting's value, or the environment variable's; `undefined` when neither is a non-empty string. */
export function settingOrEnvironment(source: SettingSource): string | undefined {
  const value = source.value ?? (source.env ?? process.env)[source.variable];
  return value === undefined || value === '' ? undefined : value;
}

/** Like {@link settingOrEnvironment}, but a missing value is a `ConfigurationError` that says both ways to give it. */
export function requiredSettingOrEnvironment(source: SettingSource): string {
  const value = settingOrEnvironment(source);
  if (value === undefined) {
    throw new ConfigurationError(`${source.name} is missing: pass ${source.name} or set ${source.variable}`);
  }
  return value;
}
