import { afterEach, describe, expect, it } from 'vitest';
import { WorkerConnectionLostError } from '../errors.js';
import { type RealWorker, startRealWorker } from '../testing/real-worker.js';
import { type MsgpackListener, startMsgpackListener } from './msgpack-listener.js';
import { runCommand, shellArgs, TestAuthority } from './testing/test-authority.js';

async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a real buildbot-worker 3.7 reconnecting over msgpack', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function listen(authority: TestAuthority, port = 0, pingIntervalMs?: number): Promise<MsgpackListener> {
    const listener = await startMsgpackListener({
      host: '127.0.0.1',
      port,
      authority,
      onChannel: authority.onChannel,
      ...(pingIntervalMs ? { limits: { pingIntervalMs } } : {}),
    });
    cleanups.push(() => listener.close());
    return listener;
  }

  async function worker(port: number, password: string): Promise<RealWorker> {
    const started = await startRealWorker({ protocol: 'msgpack', host: '127.0.0.1', port: port, name: 'tw', password });
    cleanups.push(() => started.stop());
    return started;
  }

  it('refuses a wrong password with 401; the worker retries and gets in once the password is registered', async () => {
    const authority = new TestAuthority();
    authority.passwords.set('tw', 'not-the-worker-password');
    const listener = await listen(authority);
    const real = await worker(listener.address.port, 'the-worker-password');

    await eventually(
      () => authority.lookups.filter((name) => name === 'tw').length >= 2,
      20_000,
      'a retry after the 401',
    );
    expect(await real.log()).toContain('WebSocket connection upgrade failed [401]: Unauthorized');

    authority.passwords.set('tw', 'the-worker-password');
    const channel = await authority.nextChannel();
    expect(channel.workerName).toBe('tw');
    const info = await channel.getWorkerInfo();
    expect(info.basedir).toBe(real.basedir);
  }, 40_000);

  it('drops a worker that stops answering pings; it reconnects once it runs again', async () => {
    const authority = new TestAuthority();
    authority.passwords.set('tw', 'tw-pass-4567');
    const listener = await listen(authority, 0, 300);
    const real = await worker(listener.address.port, 'tw-pass-4567');
    const channel = await authority.nextChannel();
    await channel.ping();

    const closed = new Promise<Error | undefined>((resolve) => channel.onClose(resolve));
    process.kill(real.pid, 'SIGSTOP');
    const reason = await closed;
    expect(reason).toBeInstanceOf(WorkerConnectionLostError);
    expect((reason as Error).message).toContain('stopped answering WebSocket pings');
    await expect(channel.print('too late')).rejects.toBe(reason);

    process.kill(real.pid, 'SIGCONT');
    const again = await authority.nextChannel();
    await again.ping();
  }, 40_000);

  it('when the listener closes during a command, the worker reconnects to a new listener on the same port', async () => {
    const authority = new TestAuthority();
    authority.passwords.set('tw', 'tw-pass-8910');
    const first = await listen(authority);
    const port = first.address.port;
    const real = await worker(port, 'tw-pass-8910');
    const channel = await authority.nextChannel();
    await channel.setBuilder('hello', 'hello');
    const running = runCommand(channel, 'shell', shellArgs(['sh', '-c', 'while true; do echo tick; sleep 0.2; done']));
    await running.started;

    const closed = new Promise<Error | undefined>((resolve) => channel.onClose(resolve));
    await first.close();
    expect(await closed).toBeUndefined();

    const second = await listen(authority, port);
    expect(second.address.port).toBe(port);
    const again = await authority.nextChannel();
    const info = await again.getWorkerInfo();
    expect(info.basedir).toBe(real.basedir);
    // The command still runs on the worker; the new connection can stop it by its id.
    await again.interruptCommand(running.commandId, 'the old connection is gone');
    await again.shutdown();
    expect(await real.exited).toEqual({ code: 0, signal: null });
  }, 40_000);
});
