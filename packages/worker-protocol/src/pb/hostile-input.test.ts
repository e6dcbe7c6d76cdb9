import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startWorkerServer, type WorkerServer, type WorkerServerOptions } from '../worker-server.js';
import { encodeBanana } from './banana.js';
import { bananaishBytes, splitAt } from './codec.test-support.js';
import { toPlain, unjelly } from './jelly.js';
import { markerReferences, TranscriptClient, transcriptLogin } from './transcript.test-support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const logs: string[] = [];

async function startServer(options: WorkerServerOptions = {}): Promise<WorkerServer> {
  const server = await startWorkerServer({
    pb: { port: 0 },
    logger: { log: (level, message) => logs.push(`${level} ${message}`) },
    ...options,
  });
  cleanups.push(() => server.close());
  server.addWorker({ name: 'tw', password: 'tw-pass', builderDirectory: 'hello' });
  return server;
}

/** Opens a raw TCP connection, sends `bytes` after the dialect offer, resolves when the server closes it. */
function rawConnection(
  server: WorkerServer,
  bytes: Uint8Array[] = [],
): Promise<{ closedAfterMs: number; received: number }> {
  const address = server.addresses.pb;
  if (!address) throw new Error('no PB address');
  return new Promise((resolve) => {
    const started = Date.now();
    let received = 0;
    const socket: Socket = connect({ host: address.host, port: address.port });
    cleanups.push(() => {
      socket.destroy();
    });
    socket.on('data', (chunk) => {
      if (received === 0) for (const part of bytes) socket.write(part);
      received += chunk.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ closedAfterMs: Date.now() - started, received }));
  });
}

/** The dialect choice and version, as the real worker sends them. */
const handshake = [Buffer.from('02827062', 'hex'), Buffer.from('0280138706 81'.replace(' ', ''), 'hex')];

async function stillServes(server: WorkerServer): Promise<void> {
  const address = server.addresses.pb;
  if (!address) throw new Error('no PB address');
  const client = await TranscriptClient.connect(address.host, address.port);
  cleanups.push(() => client.close());
  await transcriptLogin(client, 'tw-pass');
  expect(server.connection('tw')?.name).toBe('tw');
  await server.connection('tw')?.close();
}

describe('hostile input closes that connection only', () => {
  it.each([
    ['a string longer than the pre-login limit', [...handshake, Buffer.from('00 00 01 82'.replaceAll(' ', ''), 'hex')]],
    ['a prefix longer than 64 bytes', [...handshake, Buffer.alloc(65, 0x7f)]],
    ['lists nested deeper than allowed', [...handshake, Buffer.from('0180'.repeat(40), 'hex')]],
    [
      'a list announcing more elements than allowed',
      [...handshake, Buffer.from('00 00 01 80'.replaceAll(' ', ''), 'hex')],
    ],
    ['an invalid type byte', [...handshake, Buffer.from('0188', 'hex')]],
    ['an unknown vocabulary index', [...handshake, Buffer.from('7f87', 'hex')]],
    ['a dialect other than pb', [encodeBanana(Buffer.from('none'), false)]],
    ['a wrong PB version', [handshake[0] as Buffer, Buffer.from('0280138705 81'.replace(' ', ''), 'hex')]],
    ['an unknown message kind', [...handshake, encodeBanana([Buffer.from('cachemessage'), 1])]],
    [
      'an answer to a request never made',
      [...handshake, encodeBanana([Buffer.from('answer'), 9, [Buffer.from('None')]])],
    ],
    [
      'a forbidden Jelly type in a login',
      [
        ...handshake,
        encodeBanana([
          Buffer.from('message'),
          1,
          Buffer.from('root'),
          Buffer.from('login'),
          1,
          [Buffer.from('tuple'), [Buffer.from('instance'), Buffer.from('os.system'), 1]],
          [Buffer.from('dictionary')],
        ]),
      ],
    ],
  ])('%s', async (_name, bytes) => {
    const server = await startServer();
    const outcome = await rawConnection(server, bytes);
    expect(outcome.received).toBeGreaterThan(0);
    // Closed for the error, not by the 30 s login timeout.
    expect(outcome.closedAfterMs).toBeLessThan(20_000);
    await stillServes(server);
  });

  it('arbitrary bytes after the handshake, split anywhere: the server keeps serving other workers', async () => {
    const server = await startServer({ loginTimeout: 2 });
    const address = server.addresses.pb;
    if (!address) throw new Error('no PB address');
    await fc.assert(
      fc.asyncProperty(bananaishBytes, fc.array(fc.nat(), { maxLength: 4 }), async (bytes, cuts) => {
        await new Promise<void>((resolve) => {
          const socket = connect({ host: address.host, port: address.port });
          socket.on('error', () => {});
          socket.once('data', () => {
            for (const part of [...handshake, ...splitAt(bytes, cuts)]) socket.write(part);
            setTimeout(() => {
              socket.destroy();
              resolve();
            }, 20);
          });
          socket.on('close', () => resolve());
        });
      }),
      { numRuns: 100 },
    );
    await stillServes(server);
  });

  it('a connection that does not log in is closed after the login timeout', async () => {
    const server = await startServer({ loginTimeout: 0.5 });
    const outcome = await rawConnection(server, handshake);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(400);
    expect(outcome.closedAfterMs).toBeLessThan(20_000);
    expect(logs.some((line) => line.includes('did not log in within'))).toBe(true);
  });

  it('connections beyond the pending-login limit are closed at once', async () => {
    const server = await startServer({ maxPendingLogins: 2, loginTimeout: 30 });
    const address = server.addresses.pb;
    if (!address) throw new Error('no PB address');
    const waiting = [0, 1].map(() => {
      const socket = connect({ host: address.host, port: address.port });
      socket.on('error', () => {});
      cleanups.push(() => {
        socket.destroy();
      });
      return new Promise<void>((resolve) => socket.once('data', () => resolve()));
    });
    await Promise.all(waiting);
    const third = await rawConnection(server);
    expect(third.received).toBe(0);
    expect(logs.some((line) => line.includes('too many connections waiting to log in'))).toBe(true);
  });

  it('decoded dictionaries cannot pollute prototypes', () => {
    const sexp = [
      Buffer.from('dictionary'),
      [
        [Buffer.from('unicode'), Buffer.from('__proto__')],
        [Buffer.from('dictionary'), [[Buffer.from('unicode'), Buffer.from('polluted')], 1]],
      ],
      [Buffer.from('constructor'), [Buffer.from('dictionary')]],
    ];
    const plain = toPlain(unjelly(sexp, markerReferences)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBeNull();
    expect(Object.hasOwn(plain, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('the password appears in no log line, even for refused logins', async () => {
    logs.length = 0;
    const server = await startServer({ loginTimeout: 5 });
    server.addWorker({ name: 'tw', password: () => 'a-secret-password' });
    const address = server.addresses.pb;
    if (!address) throw new Error('no PB address');
    const client = await TranscriptClient.connect(address.host, address.port);
    cleanups.push(() => client.close());
    const refused = await transcriptLogin(client, 'tw-pass');
    expect(Array.isArray(refused) && Buffer.from(refused[0] as Uint8Array).toString()).toBe('error');
    expect(logs.some((line) => line.includes("invalid login from worker 'tw'"))).toBe(true);
    expect(logs.join('\n')).not.toContain('a-secret-password');
    expect(logs.join('\n')).not.toContain('tw-pass');
  });
});
