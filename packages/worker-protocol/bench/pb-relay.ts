import { connect, createServer, type Server, type Socket } from 'node:net';
import { BananaDecoder, type BananaValue, bytesEqual } from '../src/pb/banana.js';

/** What the relay saw on one worker connection (milliseconds, `performance.now()`). */
export interface RelayConnection {
  readonly acceptedAt: number;
  loggedInAt?: number;
  readonly commands: { startedAt: number; completedAt?: number }[];
}

/**
 * A TCP relay between a real buildbot-worker and a PB master (ours or Buildbot's) that decodes
 * both directions with the Banana codec and timestamps the login answer, each `startCommand` and
 * each `complete`. Both masters are measured by the same relay, in the same way.
 */
export class PbRelay {
  readonly connections: RelayConnection[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: { host: string; port: number }): Promise<{ relay: PbRelay; port: number }> {
    let relay: PbRelay | undefined;
    const server = createServer((worker) => relay?.accept(worker, target));
    relay = new PbRelay(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return { relay, port: typeof address === 'object' && address ? address.port : 0 };
  }

  accept(worker: Socket, target: { host: string; port: number }): void {
    const record: RelayConnection = { acceptedAt: performance.now(), commands: [] };
    this.connections.push(record);
    const master = connect(target);
    worker.setNoDelay(true);
    master.setNoDelay(true);
    this.#sockets.add(worker);
    this.#sockets.add(master);
    let respondId: number | undefined;
    const methodOf = (value: BananaValue[]) => Buffer.from(value[3] as Uint8Array).toString('latin1');
    const w2m = new BananaDecoder((value) => {
      w2m.vocabulary = true;
      if (!Array.isArray(value) || !bytesEqual(value[0], 'message')) return;
      const method = methodOf(value);
      if (method === 'respond') respondId = value[1] as number;
      else if (method === 'complete') {
        const command = record.commands.find((candidate) => candidate.completedAt === undefined);
        if (command) command.completedAt = performance.now();
      }
    });
    const m2w = new BananaDecoder((value) => {
      m2w.vocabulary = true;
      if (!Array.isArray(value)) return;
      if (bytesEqual(value[0], 'answer') && value[1] === respondId && record.loggedInAt === undefined) {
        record.loggedInAt = performance.now();
      } else if (bytesEqual(value[0], 'message') && methodOf(value) === 'startCommand') {
        record.commands.push({ startedAt: performance.now() });
      }
    });
    worker.on('data', (chunk: Buffer) => {
      w2m.feed(chunk);
      if (!master.write(chunk)) {
        worker.pause();
        master.once('drain', () => worker.resume());
      }
    });
    master.on('data', (chunk: Buffer) => {
      m2w.feed(chunk);
      if (!worker.write(chunk)) {
        master.pause();
        worker.once('drain', () => master.resume());
      }
    });
    const close = () => {
      worker.destroy();
      master.destroy();
      this.#sockets.delete(worker);
      this.#sockets.delete(master);
    };
    worker.on('close', close);
    master.on('close', close);
    worker.on('error', close);
    master.on('error', close);
  }

  /** Drops every relayed connection: the worker reconnects after its back-off. */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
