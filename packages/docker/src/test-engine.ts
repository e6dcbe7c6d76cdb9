// Vitest hook for this package's engine tests (kept apart from test-support.ts, which the
// crashing-master child process imports outside vitest).
import { beforeAll, beforeEach } from 'vitest';
import { docker } from './test-support.js';
import { assertDockerAvailable } from './testing/docker-available.js';

/**
 * Checks the engine and runs `setup` once for the file. When no engine answers (or setup fails),
 * every test of the file FAILS with that error — it is not skipped.
 */
export function withEngine(setup: () => Promise<void> = async () => {}): void {
  let failure: unknown;
  beforeAll(async () => {
    try {
      await assertDockerAvailable(docker);
      await setup();
    } catch (error) {
      failure = error;
    }
  });
  beforeEach(() => {
    if (failure !== undefined) throw failure;
  });
}
