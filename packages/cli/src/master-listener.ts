import type { LatentWorker } from '@latentci/core';
import {
  type AttachServer,
  type FrontProtocol,
  type ProtocolFront,
  startAttachServer,
  startProtocolFront,
  watchLoginRefusals,
} from '@latentci/test-kit';
import { startWorkerServer, type WorkerConnection, type WorkerServer } from '@latentci/worker-protocol';
import { UsageError } from './cli-errors.js';
import { formatHostPort } from './listen-address.js';
import { masterProtocols, unexpectedMsgpackReason } from './master-protocols.js';

/** A login or connection the master turned away. */
export interface LoginRefusal {
  /** The worker name presented; absent when the connection was refused before any login (msgpack not asked for). */
  readonly workerName?: string;
  readonly reason: string;
  readonly remoteAddress: string;
}

export interface MasterListenerOptions {
  /** Where to listen; port 0 picks a free one. */
  readonly host: string;
  readonly port: number;
  /** The config's `worker.masterProtocol`: msgpack is answered when it asks for it. */
  readonly masterProtocol: string | undefined;
  /** Each connection, once its protocol is known. */
  readonly onConnection?: ((remoteAddress: string, protocol: FrontProtocol) => void) | undefined;
  /** Each refused login (probe, PB or msgpack), and each msgpack connection the config did not ask for. */
  readonly onRefusal?: ((refusal: LoginRefusal) => void) | undefined;
}

/** What `attach` reports of one worker's login. */
export interface AttachHooks {
  /** The worker presented the right credentials; called before `worker.attached()`. `buildbot` is set for a Buildbot (PB/msgpack) worker. */
  readonly onLogin?: ((remoteAddress: string, buildbot: WorkerConnection | undefined) => void) | undefined;
  /** A Buildbot worker's login was accepted by the lifecycle: its connection runs commands. */
  readonly onBuildbotAttached?: ((connection: WorkerConnection) => void) | undefined;
}

/**
 * The master side `latentci try` and `latentci pool` listen with: one address, several protocols
 * (the probe's, Buildbot's PB and, when the config asks for it, msgpack), each served on
 * 127.0.0.1 behind a front that tells them apart by their first bytes.
 */
export interface MasterListener {
  /** `host:port` the workers are told (the bound port when 0 was asked). */
  readonly master: string;
  /** Connections seen so far (probe greetings included). */
  readonly connectionsSeen: number;
  /** Every refusal so far, in order. */
  readonly refusals: readonly LoginRefusal[];
  /**
   * Expects `worker` (by its name and its password, read at login): a probe, PB or msgpack login
   * calls `worker.attached(connection)`, a closed connection `worker.detached(connection)`.
   * Returns the function that forgets it again.
   */
  attach(worker: LatentWorker, hooks?: AttachHooks): () => void;
  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the master listener on `host:port`.
 *
 * @throws UsageError when it cannot listen there (saying which addresses work), or a
 *   `CONFIGURATION_ERROR` for a `masterProtocol` buildbot-worker does not speak.
 */
export async function startMasterListener(options: MasterListenerOptions): Promise<MasterListener> {
  const protocols = masterProtocols(options.masterProtocol);
  const expected = new Set<string>();
  const refusals: LoginRefusal[] = [];
  let connections = 0;
  let lastPeer = 'unknown';
  const refuse = (refusal: LoginRefusal) => {
    refusals.push(refusal);
    options.onRefusal?.(refusal);
  };
  const expectedNames = () => [...expected].map((name) => JSON.stringify(name)).join(', ');

  let probe: AttachServer | undefined;
  let workers: WorkerServer | undefined;
  let front: ProtocolFront | undefined;
  try {
    probe = await startAttachServer({
      host: '127.0.0.1',
      port: 0,
      logger: {
        log(_level, message, fields) {
          if (message !== 'attach server: refused a worker' || fields === undefined) return;
          refuse({
            workerName: String(fields.workerName),
            reason: String(fields.rejection ?? 'refused'),
            remoteAddress: lastPeer,
          });
        },
      },
    });
    workers = await startWorkerServer({
      pb: { host: '127.0.0.1', port: 0 },
      ...(protocols.msgpack ? { msgpack: { host: '127.0.0.1', port: 0 } } : {}),
      logger: watchLoginRefusals(
        (name) => expected.has(name),
        (workerName, unknown) =>
          refuse({
            workerName,
            reason: unknown
              ? `unknown worker "${workerName}": this master only expects ${expectedNames()}`
              : `wrong password for worker ${workerName}`,
            remoteAddress: lastPeer,
          }),
      ),
    });
    front = await startProtocolFront({
      host: options.host,
      port: options.port,
      backends: { probe: probe.port, pb: workers.addresses.pb?.port, msgpack: workers.addresses.msgpack?.port },
      onConnection: (remoteAddress, protocol) => {
        connections += 1;
        lastPeer = remoteAddress;
        options.onConnection?.(remoteAddress, protocol);
        if (protocol === 'msgpack' && !protocols.msgpack) {
          refuse({ reason: unexpectedMsgpackReason(options.masterProtocol), remoteAddress });
        }
      },
    });
  } catch (error) {
    await probe?.close();
    await workers?.close();
    throw cannotListen(options.host, options.port, error);
  }
  const probeServer = probe;
  const workerServer = workers;
  const protocolFront = front;
  let closed: Promise<void> | undefined;
  return {
    master: formatHostPort(options.host, protocolFront.port),
    get connectionsSeen() {
      return Math.max(connections, probeServer.records.length);
    },
    refusals,
    attach(worker, hooks = {}) {
      const name = worker.name;
      expected.add(name);
      const undo = [
        workerServer.on('disconnect', ({ connection }) => {
          if (connection.name === name) worker.detached(connection);
        }),
        probeServer.expectWorker(name, () => worker.password, {
          onAttach: (connection) => {
            hooks.onLogin?.(lastPeer, undefined);
            return worker.attached(connection);
          },
          onDetach: (connection) => worker.detached(connection),
        }),
        worker.on('connection-dropped', ({ connection }) => (connection as { close?: () => void }).close?.()),
      ];
      workerServer.addWorker({
        name,
        password: () => worker.password,
        onAttach: async (connection) => {
          hooks.onLogin?.(lastPeer, connection);
          await worker.attached(connection);
          hooks.onBuildbotAttached?.(connection);
        },
      });
      let forgotten = false;
      return () => {
        if (forgotten) return;
        forgotten = true;
        for (const each of undo) each();
        workerServer.removeWorker(name);
        expected.delete(name);
      };
    },
    close() {
      closed ??= (async () => {
        await protocolFront.close();
        await probeServer.close();
        await workerServer.close();
      })();
      return closed;
    },
  };
}

/** Listening on `host:port` failed: what to do about it. */
export function cannotListen(host: string, port: number, error: unknown): UsageError {
  return new UsageError(
    `cannot listen on ${formatHostPort(host, port)} as the master: ${(error as Error).message}; the address must be one of this machine's (172.17.0.1 reaches Docker containers), and the port free (stop the master using it, or pass --master ${host}:0 to pick a free port)`,
    { cause: error },
  );
}
