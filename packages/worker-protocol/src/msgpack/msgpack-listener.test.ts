import type { Logger } from '@latentci/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WorkerConnectionLostError, WorkerProtocolError, WorkerRemoteError } from '../errors.js';
import type { LoginAuthority, ProtocolChannel } from '../protocol-channel.js';
import { decodeMsgpackMap, encodeMsgpack, type MsgpackMap } from './msgpack-codec.js';
import { type MsgpackListener, type MsgpackListenerLimits, startMsgpackListener } from './msgpack-listener.js';
import { RawWsPeer } from './testing/raw-ws-peer.js';
import { TestAuthority } from './testing/test-authority.js';

const PASSWORD = 'listener-secret-pass';
/** Written as a computed key: assigning `.__proto__` on a null-prototype object makes a plain property, but reads as the accessor. */
const PROTO = '__proto__';
const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;

interface Peer {
  readonly socket: WebSocket;
  readonly messages: MsgpackMap[];
  next(): Promise<MsgpackMap>;
  readonly closed: Promise<number>;
}

/** A WebSocket client standing in for a worker where the fault cannot come from the real one (bad frames, floods). */
async function openPeer(port: number, password = PASSWORD): Promise<Peer> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { Authorization: basic('tw', password) } });
  const messages: MsgpackMap[] = [];
  const waiters: Array<(message: MsgpackMap) => void> = [];
  socket.on('message', (data: Buffer) => {
    const message = decodeMsgpackMap(data);
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else messages.push(message);
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    closed,
    next: () => {
      const ready = messages.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

async function rawExchange(port: number, request: string): Promise<string> {
  const peer = await RawWsPeer.connect(port);
  peer.write(request);
  return (await peer.readToEnd()).toString('latin1');
}

const toPlainArgs = (message: MsgpackMap) => ({
  command_name: message.command_name,
  ...(message.args as Record<string, unknown>),
});

const upgradeRequest = (authorization?: string) =>
  [
    'GET / HTTP/1.1',
    'Host: 127.0.0.1',
    'Upgrade: WebSocket',
    'Connection: Upgrade',
    ...(authorization ? [`Authorization: ${authorization}`] : []),
    'Sec-WebSocket-Key: Uxqt+uxJrMnlZJJ6GnnWSw==',
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n');

describe('msgpack listener', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function listen(
    options: { limits?: MsgpackListenerLimits; authority?: LoginAuthority; logger?: Logger } = {},
  ): Promise<{ listener: MsgpackListener; authority: TestAuthority; channels: ProtocolChannel[] }> {
    const authority = new TestAuthority();
    authority.passwords.set('tw', PASSWORD);
    const channels: ProtocolChannel[] = [];
    const listener = await startMsgpackListener({
      host: '127.0.0.1',
      port: 0,
      authority: options.authority ?? authority,
      onChannel: (channel) => {
        channels.push(channel);
        authority.onChannel(channel);
      },
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    cleanups.push(() => listener.close());
    return { listener, authority, channels };
  }

  it('refuses a missing Authorization header with 401 and a malformed one with 400, as Buildbot does', async () => {
    const { listener } = await listen();
    const port = listener.address.port;
    expect(await rawExchange(port, upgradeRequest())).toBe('HTTP/1.1 401 Unauthorized\r\n\r\n');
    expect(await rawExchange(port, upgradeRequest('Bearer abc'))).toBe('HTTP/1.1 400 Bad request\r\n\r\n');
    expect(await rawExchange(port, upgradeRequest(`Basic ${Buffer.from('no-colon').toString('base64')}`))).toBe(
      'HTTP/1.1 400 Bad request\r\n\r\n',
    );
    expect(await rawExchange(port, upgradeRequest(basic('nobody', PASSWORD)))).toBe(
      'HTTP/1.1 401 Unauthorized\r\n\r\n',
    );
    expect(await rawExchange(port, upgradeRequest(basic('tw', `${PASSWORD}x`)))).toBe(
      'HTTP/1.1 401 Unauthorized\r\n\r\n',
    );
  });

  it('accepts a password containing colons (the user name ends at the first one)', async () => {
    const { listener, authority } = await listen();
    authority.passwords.set('tw', 'a:b:c:d');
    const peer = await openPeer(listener.address.port, 'a:b:c:d');
    expect((await authority.nextChannel()).workerName).toBe('tw');
    peer.socket.close();
  });

  it('answers plain HTTP with 426 and nothing else', async () => {
    const { listener } = await listen();
    const answer = await rawExchange(listener.address.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.startsWith('HTTP/1.1 426 Upgrade Required\r\n')).toBe(true);
  });

  it('drops a connection that does not complete the upgrade in time, and bounds how many may wait', async () => {
    const { listener, authority } = await listen({ limits: { handshakeTimeoutMs: 300, maxPendingHandshakes: 2 } });
    const port = listener.address.port;
    const idle = await Promise.all([RawWsPeer.connect(port), RawWsPeer.connect(port)]);
    const third = await RawWsPeer.connect(port);
    await third.closed; // refused at once: two are already waiting
    await Promise.all(idle.map((peer) => peer.closed)); // dropped by the handshake timeout
    const peer = await openPeer(port); // the slots are free again
    expect((await authority.nextChannel()).workerName).toBe('tw');
    peer.socket.close();
  });

  it('closes only the connection that sends an oversized frame', async () => {
    const { listener, authority } = await listen({ limits: { maxFrameBytes: 4096 } });
    const port = listener.address.port;
    const bad = await openPeer(port);
    const badChannel = await authority.nextChannel();
    const good = await openPeer(port);
    const goodChannel = await authority.nextChannel();
    const reason = new Promise<Error | undefined>((resolve) => badChannel.onClose(resolve));
    bad.socket.send(Buffer.alloc(8192));
    expect(await bad.closed).toBe(1009);
    expect(await reason).toBeInstanceOf(WorkerProtocolError);
    expect(await reason).toMatchObject({ code: 'WORKER_PROTOCOL_ERROR', limit: 'maxFrameBytes' });
    const ping = goodChannel.ping();
    const request = await good.next();
    expect(request.op).toBe('keepalive');
    good.socket.send(encodeMsgpack({ op: 'response', seq_number: request.seq_number, result: null }));
    await ping;
    good.socket.close();
  });

  it('closes a connection on an undecodable or non-map frame with a typed error; text frames are ignored', async () => {
    const { listener, authority } = await listen();
    for (const frame of [
      Buffer.from([0xc1]),
      Buffer.from(encodeMsgpack(['op', 'update'])),
      Buffer.from([0x81, 0xa2]),
    ]) {
      const peer = await openPeer(listener.address.port);
      const channel = await authority.nextChannel();
      const reason = new Promise<Error | undefined>((resolve) => channel.onClose(resolve));
      peer.socket.send('ignored text', { binary: false });
      peer.socket.send(encodeMsgpack({ op: 'bogus', seq_number: 0 }));
      expect(await peer.next()).toEqual(
        Object.assign(Object.create(null), {
          op: 'response',
          seq_number: 0,
          result: 'Command bogus does not exist.',
          is_exception: true,
        }),
      );
      peer.socket.send(frame);
      const error = await reason;
      expect(error).toBeInstanceOf(WorkerProtocolError);
      expect((error as WorkerProtocolError).code).toBe('WORKER_PROTOCOL_ERROR');
      await peer.closed;
    }
  });

  it('answers "Worker not authenticated." until the authority admits the connection, then serves it', async () => {
    let admit!: (value: boolean) => void;
    const authority = new TestAuthority();
    authority.passwords.set('tw', PASSWORD);
    const { listener, channels } = await listen({
      authority: {
        passwordFor: (name) => authority.passwordFor(name),
        admit: () => new Promise<boolean>((resolve) => (admit = resolve)),
      },
    });
    const peer = await openPeer(listener.address.port);
    peer.socket.send(encodeMsgpack({ op: 'update', command_id: '1', args: [], seq_number: 0 }));
    const refused = await peer.next();
    expect(Buffer.from(encodeMsgpack(refused))).toEqual(
      Buffer.from(
        encodeMsgpack({ op: 'response', seq_number: 0, result: 'Worker not authenticated.', is_exception: true }),
      ),
    );
    expect(channels).toHaveLength(0);
    admit(true);
    await expect.poll(() => channels.length).toBe(1);
    peer.socket.send(encodeMsgpack({ op: 'update', args: [], seq_number: 1 }));
    expect((await peer.next()).result).toBe(`'message did not contain obligatory "command_id" key'`);
    peer.socket.send(encodeMsgpack({ op: 'complete', command_id: 'nope', args: null, seq_number: 2 }));
    expect((await peer.next()).result).toBe(`'unknown "command_id"'`);
    peer.socket.close();
  });

  it('reports an unexpected drop as connection-lost and fails the requests still waiting', async () => {
    const { listener, authority } = await listen();
    const peer = await openPeer(listener.address.port);
    const channel = await authority.nextChannel();
    const reason = new Promise<Error | undefined>((resolve) => channel.onClose(resolve));
    const waiting = channel.getWorkerInfo();
    await peer.next();
    peer.socket.terminate();
    await expect(waiting).rejects.toMatchObject({
      code: 'WORKER_CONNECTION_LOST',
      message: expect.stringContaining('get_worker_info'),
    });
    expect(await reason).toBeInstanceOf(WorkerConnectionLostError);
  });

  it('serves reports of the commands the master starts while admitting (setBuilder during admit), nothing else', async () => {
    const { listener, channels } = await listen({
      authority: {
        passwordFor: async () => PASSWORD,
        admit: async (channel) => {
          await channel.setBuilder('b', 'bdir');
          return true;
        },
      },
    });
    const peer = await openPeer(listener.address.port);
    const answer = (request: MsgpackMap, result: unknown = null) =>
      peer.socket.send(encodeMsgpack({ op: 'response', seq_number: request.seq_number, result }));
    const info = await peer.next();
    expect(info.op).toBe('get_worker_info');
    answer(info, { basedir: '/w', system: 'posix', environ: {} });
    const settings = await peer.next();
    expect(settings.op).toBe('set_worker_settings');
    answer(settings);
    const mkdir = await peer.next();
    expect(toPlainArgs(mkdir)).toEqual({ command_name: 'mkdir', paths: ['/w/bdir'] });
    peer.socket.send(encodeMsgpack({ op: 'update', command_id: 'elsewhere', args: [['rc', 0]], seq_number: 0 }));
    expect((await peer.next()).result).toBe('Worker not authenticated.');
    peer.socket.send(encodeMsgpack({ op: 'update', command_id: mkdir.command_id, args: [['rc', 0]], seq_number: 1 }));
    expect(await peer.next()).toMatchObject({ seq_number: 1, result: null });
    peer.socket.send(encodeMsgpack({ op: 'complete', command_id: mkdir.command_id, args: null, seq_number: 2 }));
    expect(await peer.next()).toMatchObject({ seq_number: 2, result: null });
    answer(mkdir);
    await expect.poll(() => channels.length).toBe(1);
    peer.socket.close();
  });

  it('closes a connection the authority does not admit, without handing it out', async () => {
    const { listener, channels } = await listen({
      authority: { passwordFor: async () => PASSWORD, admit: async () => false },
    });
    const peer = await openPeer(listener.address.port);
    await peer.closed;
    expect(channels).toHaveLength(0);
  });

  it('decodes worker info with a __proto__ key as data, not as a prototype', async () => {
    const { listener, authority } = await listen();
    const peer = await openPeer(listener.address.port);
    const channel = await authority.nextChannel();
    const info = channel.getWorkerInfo();
    const request = await peer.next();
    const environ: Record<string, unknown> = Object.create(null);
    environ[PROTO] = 'a variable';
    environ.HOME = '/home/w';
    const result: Record<string, unknown> = Object.create(null);
    result[PROTO] = { polluted: true };
    result.environ = environ;
    peer.socket.send(encodeMsgpack({ op: 'response', seq_number: request.seq_number, result }));
    const answered = await info;
    expect(Object.getPrototypeOf(answered)).toBeNull();
    expect(Object.hasOwn(answered, '__proto__')).toBe(true);
    expect((answered.environ as Record<string, unknown>)[PROTO]).toBe('a variable');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    peer.socket.close();
  });

  it('keeps the password out of every log line and error', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
    };
    const { listener, authority } = await listen({ logger });
    const port = listener.address.port;
    expect(await rawExchange(port, upgradeRequest(basic('tw', 'wrong-guess-pass')))).toBe(
      'HTTP/1.1 401 Unauthorized\r\n\r\n',
    );
    const peer = await openPeer(port);
    const channel = await authority.nextChannel();
    const failed = channel.print(`echo ${PASSWORD}`);
    const request = await peer.next();
    peer.socket.send(
      encodeMsgpack({
        op: 'response',
        seq_number: request.seq_number,
        result: `no such thing: ${PASSWORD}`,
        is_exception: true,
      }),
    );
    const error = await failed.catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(WorkerRemoteError);
    expect((error as WorkerRemoteError).remoteType).toBe('no such thing: <redacted>');
    expect((error as Error).message).toContain('<redacted>');
    peer.socket.send(Buffer.from([0xc1]));
    await peer.closed;
    const everything = lines.join('\n') + String((error as Error).message) + String((error as Error).stack);
    expect(lines.length).toBeGreaterThan(2);
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(`tw:${PASSWORD}`).toString('base64'));
    expect(everything).not.toContain('wrong-guess-pass');
  });

  it('survives arbitrary frames: each is answered or closes its own connection, never the listener', async () => {
    const { listener, authority } = await listen({ limits: { maxFrameBytes: 1 << 16 } });
    const port = listener.address.port;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .dictionary(fc.constantFrom('op', 'seq_number', 'command_id', 'args', 'length', 'result'), fc.jsonValue())
            .map((map) => encodeMsgpack(map)),
        ),
        async (frame) => {
          const peer = await openPeer(port);
          await authority.nextChannel();
          peer.socket.send(frame);
          peer.socket.send(encodeMsgpack({ op: 'probe', seq_number: 999_999 }));
          const outcome = await Promise.race([
            (async () => {
              for (;;) {
                const message = await peer.next();
                if (message.seq_number === 999_999) return 'answered';
              }
            })(),
            peer.closed.then(() => 'closed'),
          ]);
          expect(['answered', 'closed']).toContain(outcome);
          peer.socket.terminate();
        },
      ),
      { numRuns: 40 },
    );
    const still = await openPeer(port);
    expect((await authority.nextChannel()).workerName).toBe('tw');
    still.socket.close();
  });

  it('closes every connection and frees the port on close()', async () => {
    const { listener, authority } = await listen();
    const peer = await openPeer(listener.address.port);
    await authority.nextChannel();
    await listener.close();
    await peer.closed;
    await expect(RawWsPeer.connect(listener.address.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
