import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A unix-socket proxy in front of a Docker engine that records every request a client sends through it. */
export interface CountingDockerProxy {
  /** `unix://…`: give it as `dockerHost`. */
  readonly dockerHost: string;
  /** The request lines seen so far (`GET /v1.47/containers/json`), in order. */
  readonly requests: readonly string[];
  /** Bytes clients sent to the engine so far. */
  readonly bytesToEngine: number;
  close(): Promise<void>;
}

const REQUEST_LINE = /^(GET|HEAD|POST|PUT|DELETE|PATCH) (\S+) HTTP\/1\.[01]$/gm;

/** Starts a proxy to the engine at `socketPath` (default `/var/run/docker.sock`). */
export async function startCountingDockerProxy(socketPath = '/var/run/docker.sock'): Promise<CountingDockerProxy> {
  const directory = mkdtempSync(join(tmpdir(), 'latentci-docker-proxy-'));
  const path = join(directory, 'docker.sock');
  const requests: string[] = [];
  let bytesToEngine = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const engine = connect(socketPath);
    for (const socket of [client, engine]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.on('data', (chunk: Buffer) => {
      bytesToEngine += chunk.length;
      for (const match of chunk.toString('latin1').matchAll(REQUEST_LINE)) requests.push(`${match[1]} ${match[2]}`);
      engine.write(chunk);
    });
    engine.pipe(client);
    client.on('close', () => engine.destroy());
    engine.on('close', () => client.destroy());
  });
  server.listen(path);
  await once(server, 'listening');
  return {
    dockerHost: `unix://${path}`,
    get requests() {
      return [...requests];
    },
    get bytesToEngine() {
      return bytesToEngine;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
