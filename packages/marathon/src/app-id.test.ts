import { describe, expect, it } from 'vitest';
import { APP_ID_SEGMENT_PATTERN, appIdErrors, canonicalAppId } from './app-id.js';

describe("Marathon's app id rules (PathId)", () => {
  it.each(['/buildbot-worker/buildbot-bot-87de7e', 'a.b', '/a/b/c', 'x', '/0-9', 'buildbot-worker/x'])(
    'accepts %s',
    (id) => {
      expect(appIdErrors(id)).toEqual([]);
    },
  );

  it.each(['a..b', '-a', 'a-', 'A', 'a_b', '/buildbot-worker/buildbot-Bot-87de7e', '/w/buildbot-my_bot-1'])(
    'rejects %s with the regular expression Marathon prints',
    (id) => {
      expect(appIdErrors(id)).toEqual([`must fully match regular expression '${APP_ID_SEGMENT_PATTERN}'`]);
    },
  );

  it('prints the pattern exactly as Marathon does (reference §2.2)', () => {
    expect(APP_ID_SEGMENT_PATTERN).toBe(
      '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$',
    );
  });

  it.each(['/a/tasks', '/a/versions', '/a/restart'])('rejects the reserved last segment of %s', (id) => {
    expect(appIdErrors(id)).toEqual([
      'must not end with any of the following reserved keywords: restart, tasks, versions, ., ..',
    ]);
  });

  it('rejects the root', () => {
    expect(appIdErrors('/')).toEqual(['must not be root']);
  });

  it('canonicalises relative ids against the root and resolves . and ..', () => {
    expect(canonicalAppId('buildbot-worker/x')).toBe('/buildbot-worker/x');
    expect(canonicalAppId('/a/./b/../c/')).toBe('/a/c');
    expect(canonicalAppId('//a//b')).toBe('/a/b');
  });
});
