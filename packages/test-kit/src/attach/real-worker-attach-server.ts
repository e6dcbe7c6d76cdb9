import { randomBytes } from 'node:crypto';
import { REDACTED, silentLogger } from '@latentci/core';
import { startWorkerServer, type WorkerConnection } from '@latentci/worker-protocol';
import { AttachBook } from './attach-book.js';
import {
  type AttachConnection,
  type AttachHandlers,
  type AttachRecord,
  type AttachServer,
  DOCKER_BRIDGE_GATEWAY,
  type ExpectedPassword,
  type StartAttachServerOptions,
  type WaitOptions,
} from './attach-server.js';
import { watchLoginRefusals } from './login-refusals.js';
import { startProtocolFront } from './protocol-front.js';

type MutableRecord = { -readonly [K in keyof AttachRecord]: AttachRecord[K] };

/**
 * Starts an attach server for real `buildbot-worker`s: the same `AttachServer` as
 * {@link startAttachServer}, but workers log in with Buildbot's own protocols, PB or
 * msgpack_experimental_v7 (`@latentci/worker-protocol`, both on the one port), instead of the
 * probe's. A record is made once the worker logged in and told its info:
 *
 * - `environment` is the worker process's environment (`getWorkerInfo`'s `environ`);
 * - `environmentPasswordMatched` is `true`: a buildbot-worker image's `buildbot.tac` reads its
 *   password from `WORKERPASS` (and removes it from the environment before any build step runs),
 *   so logging in with the expected password is what proves `WORKERPASS` held it;
 * - `protocolVersion` is 0 (no probe greeting).
 *
 * Refused logins are recorded too (wrong password, unknown name). Use it with
 * `ensureBuildbotWorkerImage()`; the conformance suite's `realWorker` mode does.
 */
export async function startRealWorkerAttachServer(options: StartAttachServerOptions = {}): Promise<AttachServer> {
  const host = options.host ?? DOCKER_BRIDGE_GATEWAY;
  const logger = options.logger ?? silentLogger;
  const book = new AttachBook();
  const live = new Map<WorkerConnection, { record: MutableRecord; connection: AttachConnection }>();
  let lastPeer = 'unknown';
  let peerOf: (connection: WorkerConnection) => string = () => lastPeer;

  const workerServer = await startWorkerServer({
    pb: { host: '127.0.0.1', port: 0 },
    msgpack: { host: '127.0.0.1', port: 0 },
    logger: watchLoginRefusals(
      (name) => book.expectation(name) !== undefined,
      (workerName, unknown) => {
        book.add({
          workerName,
          expected: !unknown,
          passwordMatched: false,
          accepted: false,
          rejection: unknown ? `unknown worker name "${workerName}"` : `wrong password for worker "${workerName}"`,
          remoteAddress: lastPeer,
          protocolVersion: 0,
          attachedAt: Date.now(),
        });
      },
      logger,
    ),
  });
  workerServer.on('disconnect', ({ connection }) => {
    const entry = live.get(connection);
    if (!entry) return;
    live.delete(connection);
    entry.record.detachedAt = Date.now();
    logger.log('info', 'attach server: worker detached', {
      workerName: connection.name,
      remoteAddress: entry.record.remoteAddress,
    });
    try {
      const result = book.expectation(connection.name)?.handlers.onDetach?.(entry.connection);
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // A detach handler's failure must not break the server.
    }
    book.changed(entry.record);
  });

  let front: Awaited<ReturnType<typeof startProtocolFront>>;
  try {
    front = await startProtocolFront({
      host,
      port: options.port ?? 0,
      backends: { pb: workerServer.addresses.pb?.port, msgpack: workerServer.addresses.msgpack?.port },
      onConnection: (remoteAddress) => {
        lastPeer = remoteAddress;
      },
    });
  } catch (error) {
    await workerServer.close();
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`attach server could not listen on ${host}:${options.port ?? 0}: ${detail}`, { cause: error });
  }
  peerOf = (connection) => {
    const localPort = Number(/:(\d+)$/.exec(connection.peer)?.[1]);
    return front.peerOf(localPort) ?? lastPeer;
  };

  // A password nobody can present, for a name no longer expected between lookups.
  const unguessable = randomBytes(32).toString('hex');
  let closed: Promise<void> | undefined;

  const server: AttachServer = {
    host,
    port: front.port,
    masterFQDN: host.includes(':') ? `[${host}]:${front.port}` : `${host}:${front.port}`,
    get records() {
      return book.records;
    },
    get openConnections() {
      return workerServer.connections.length;
    },
    expectWorker(name: string, password: ExpectedPassword, handlers: AttachHandlers | AttachHandlers['onAttach'] = {}) {
      const forget = book.expectWorker(name, password, handlers);
      workerServer.addWorker({
        name,
        password: () => book.expectedPassword(name) ?? unguessable,
        onAttach: async (connection) => {
          const remoteAddress = peerOf(connection);
          const environment: Record<string, string> = { ...connection.info.environ };
          if ('WORKERPASS' in environment) environment.WORKERPASS = REDACTED;
          const record: MutableRecord = {
            workerName: name,
            expected: true,
            passwordMatched: true,
            accepted: false,
            remoteAddress,
            protocolVersion: 0,
            attachedAt: Date.now(),
            environment,
            environmentPasswordMatched: true,
          };
          const attachConnection: AttachConnection = {
            record,
            peer: `${name}@${remoteAddress}`,
            close: () => void connection.close('the master closed the connection'),
          };
          try {
            await book.expectation(name)?.handlers.onAttach?.(attachConnection);
          } catch (error) {
            record.rejection = `attach handler refused the worker: ${error instanceof Error ? error.message : String(error)}`;
            book.add(record);
            throw error;
          }
          record.accepted = true;
          live.set(connection, { record, connection: attachConnection });
          logger.log('info', 'attach server: worker attached', { workerName: name, remoteAddress });
          book.add(record);
        },
      });
      return () => {
        forget();
        if (book.expectation(name) === undefined) workerServer.removeWorker(name);
      };
    },
    forgetWorker(name: string) {
      book.forgetWorker(name);
      workerServer.removeWorker(name);
    },
    waitForAttach: (name: string, waitOptions?: WaitOptions) => book.waitForAttach(name, waitOptions),
    waitForRecord: (name: string, waitOptions?: WaitOptions) => book.waitForRecord(name, waitOptions),
    waitForDetach: (name: string, waitOptions?: WaitOptions) => book.waitForDetach(name, waitOptions),
    async disconnect(name: string) {
      await Promise.all(
        workerServer.connections
          .filter((connection) => connection.name === name)
          .map(async (connection) => {
            // A Buildbot worker reconnects when its connection drops; asked to shut down, its
            // process exits, like a worker whose job is done.
            await connection.shutdown({ timeout: 10 }).catch(() => {});
            await connection.close('the master closed the connection');
            await connection.closed;
          }),
      );
    },
    close() {
      closed ??= (async () => {
        book.close();
        await front.close();
        await workerServer.close();
      })();
      return closed;
    },
  };
  return server;
}
