import { readFileSync } from 'node:fs';
import { ConfigurationError } from '@latentci/core';
import { createMarathonProvider } from '@latentci/marathon';
import { describe, expect, it } from 'vitest';

// Defect 12 of issue #23: every deliberate deviation from Buildbot is listed under the package's
// "Differences from Buildbot"; the behaviour a line describes is checked where it is cheap.
function differences(packageName: string): string {
  const readme = readFileSync(new URL(`../../packages/${packageName}/README.md`, import.meta.url), 'utf8');
  const start = readme.indexOf('## Differences from Buildbot');
  expect(start).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end).replace(/\s+/g, ' ');
}

describe('defect 12 (#23): deviations from Buildbot are listed under "Differences"', () => {
  it("docker: the health check's message prefix, checks before the first request, 400-class answers", () => {
    const text = differences('docker');
    expect(text).toContain('starts with `container <name> exited with code N; `');
    expect(text).toContain('before the first request');
    expect(text).toContain('`DockerRequestRejectedError`');
    expect(text).toContain('A tag-less `image` that matches several local tags logs a warning');
  });

  it('marathon: marathonUrl must be http(s) — and it is', () => {
    expect(differences('marathon')).toContain('`marathonUrl` must be an `http://` or `https://` URL');
    expect(() => createMarathonProvider({ marathonUrl: 'ftp://marathon.example' } as never)).toThrow(
      ConfigurationError,
    );
    expect(() => createMarathonProvider({ marathonUrl: 'ftp://marathon.example' } as never)).toThrow(/http or https/);
  });

  it('hyper: the size is checked after rendering, at every start', () => {
    expect(differences('hyper')).toContain('The size is checked after rendering, at every start');
  });
});
