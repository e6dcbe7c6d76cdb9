import { describe, expect, it } from 'vitest';
import { diagnose, type TryFacts } from './diagnosis.js';
import { EXIT_CODES } from './exit-codes.js';

const nothingHappened: TryFacts = {
  mode: 'attach',
  master: '172.17.0.1:9989',
  timeoutSeconds: 5,
  interrupted: false,
  attached: false,
  connectionsSeen: 0,
  refusals: [],
  failure: undefined,
  lastLogLines: [],
};

describe('diagnose', () => {
  it('reports an attached worker as reached and authenticated, exit code 0', () => {
    const diagnosis = diagnose({ ...nothingHappened, attached: true, connectionsSeen: 1 });
    expect(diagnosis).toMatchObject({ outcome: 'attached', exitCode: 0, reachedMaster: true, authenticated: true });
  });

  it('reports a refused login as authentication failed (5), even when the instance then crashed', () => {
    const diagnosis = diagnose({
      ...nothingHappened,
      connectionsSeen: 1,
      refusals: [{ reason: 'wrong password for worker "w"', remoteAddress: '172.17.0.2' }],
      failure: { code: 'WORKER_CRASHED', message: 'w latent worker crashed before connecting' },
    });
    expect(diagnosis).toMatchObject({
      outcome: 'authentication-failed',
      exitCode: EXIT_CODES.authenticationFailed,
      reachedMaster: true,
      authenticated: false,
    });
    expect(diagnosis.summary).toContain('wrong password');
  });

  it('reports a crash before connecting (3) with the last log lines', () => {
    const diagnosis = diagnose({
      ...nothingHappened,
      failure: { code: 'WORKER_CRASHED', message: 'crashed' },
      lastLogLines: ['boom'],
    });
    expect(diagnosis).toMatchObject({ outcome: 'crashed', exitCode: 3, reachedMaster: false, lastLogLines: ['boom'] });
  });

  it('takes the last log lines from the health check when none were streamed', () => {
    const diagnosis = diagnose({
      ...nothingHappened,
      failure: {
        code: 'WORKER_CRASHED',
        message:
          'w latent worker crashed before connecting: container c1 exited with code 1; logs: \nfatal: no config\n',
      },
    });
    expect(diagnosis.summary).toContain('(container c1 exited with code 1)');
    expect(diagnosis.lastLogLines).toEqual(['fatal: no config']);
  });

  it('reports a missing-timeout as never connected (4), naming the master address', () => {
    const diagnosis = diagnose({ ...nothingHappened, failure: { code: 'SUBSTANTIATION_TIMEOUT', message: 'late' } });
    expect(diagnosis).toMatchObject({ outcome: 'timed-out', exitCode: 4, reachedMaster: false });
    expect(diagnosis.summary).toContain('172.17.0.1:9989');
    expect(diagnosis.summary).toContain('5s');
  });

  it('points out a loopback master address, which an instance cannot reach the host at', () => {
    const diagnosis = diagnose({
      ...nothingHappened,
      master: '127.0.0.1:9989',
      failure: { code: 'SUBSTANTIATION_TIMEOUT', message: 'late' },
    });
    expect(diagnosis.hints[0]).toContain('loopback address');
    expect(
      diagnose({ ...nothingHappened, failure: { code: 'SUBSTANTIATION_TIMEOUT', message: 'late' } }).hints[0],
    ).not.toContain('loopback');
  });

  it('says when a connection arrived but no worker logged in before the timeout', () => {
    const diagnosis = diagnose({
      ...nothingHappened,
      connectionsSeen: 1,
      failure: { code: 'SUBSTANTIATION_TIMEOUT', message: 'late' },
    });
    expect(diagnosis).toMatchObject({ outcome: 'timed-out', exitCode: 4, reachedMaster: true });
  });

  it('counts a TCP connection as success in observe mode, without claiming authentication', () => {
    const diagnosis = diagnose({ ...nothingHappened, mode: 'observe', connectionsSeen: 1 });
    expect(diagnosis).toMatchObject({ outcome: 'reached', exitCode: 0, reachedMaster: true, authenticated: null });
  });

  it('maps backend failures to 6 and configuration failures to 2', () => {
    expect(
      diagnose({ ...nothingHappened, failure: { code: 'CANNOT_SUBSTANTIATE', message: 'no image' } }),
    ).toMatchObject({
      outcome: 'backend-error',
      exitCode: 6,
    });
    expect(
      diagnose({ ...nothingHappened, failure: { code: 'FAILED_TO_SUBSTANTIATE', message: 'engine down' } }).exitCode,
    ).toBe(6);
    expect(diagnose({ ...nothingHappened, failure: { code: 'CONFIGURATION_ERROR', message: 'bad' } })).toMatchObject({
      outcome: 'configuration-error',
      exitCode: 2,
    });
  });

  it('reports an interruption as 130 whatever else was seen', () => {
    expect(diagnose({ ...nothingHappened, interrupted: true, attached: true }).exitCode).toBe(130);
  });
});
