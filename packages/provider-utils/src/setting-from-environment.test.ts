import { describe, expect, it } from 'vitest';
import { requiredSettingOrEnvironment, settingOrEnvironment } from './setting-from-environment.js';

describe('settings with an environment fallback', () => {
  it('prefer the setting, then the variable; an empty string is missing', () => {
    const env = { HYPER_ACCESSKEY: 'from-env', EMPTY: '' };
    expect(settingOrEnvironment({ name: 'accessKey', value: 'given', variable: 'HYPER_ACCESSKEY', env })).toBe('given');
    expect(settingOrEnvironment({ name: 'accessKey', value: undefined, variable: 'HYPER_ACCESSKEY', env })).toBe(
      'from-env',
    );
    expect(settingOrEnvironment({ name: 'x', value: undefined, variable: 'EMPTY', env })).toBeUndefined();
    expect(() => requiredSettingOrEnvironment({ name: 'secretKey', value: undefined, variable: 'NONE', env })).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: 'secretKey is missing: pass secretKey or set NONE',
      }),
    );
  });
});
