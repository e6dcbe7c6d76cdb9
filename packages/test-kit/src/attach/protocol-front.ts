import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/** The protocols `latentci try` answers on one master address. */
export type FrontProtocol = 'probe' | 'pb' | 'msgpack';

export interface ProtocolFront {
  readonly host: string;
  readonly port: number;
  /** The real peer of a proxied connection, by the local port of its connection to the back end. */
  peerOf(localPort: number): string | undefined;
  close(): Promise<void>;
}

export interface ProtocolFrontOptions {
  readonly host: string;
  readonly port: number;
  /** Where each protocol's server listens (on 127.0.0.1). A protocol without one is not answered. */
  readonly backends: Partial<Record<FrontProtocol, number | undefined>>;
  /** Each connection, once its protocol is known. */
  readonly onConnection?: (remoteAddress: string, protocol: FrontProtocol) => void;
  /** Milliseconds a silent client gets before it is taken for PB (the master speaks first there). Default 400. */
  readonly sniffMs?: number;
}

/**
 * Listens on the master address and hands each connection to the server of its protocol: the
 * probe greets first (`LATENTCI-PROBE`), msgpack opens with an HTTP `GET`, and a PB worker waits
 * for the master to speak, so a silent client is PB. Bytes already read are replayed to the back end.
 */
export async function startProtocolFront(options: ProtocolFrontOptions): Promise<ProtocolFront> {
  const sniffMs = options.sniffMs ?? 400;
  const sockets = new Set<Socket>();
  const peers = new Map<number, string>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    const remoteAddress = (client.remoteAddress ?? 'unknown').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    let received = Buffer.alloc(0);
    const route = () => {
      clearTimeout(timer);
      client.off('data', onData);
      client.pause();
      const protocol = classify(received);
      const port = options.backends[protocol];
      options.onConnection?.(remoteAddress, protocol);
      if (port === undefined) {
        client.destroy();
        return;
      }
      const backend = connect({ host: '127.0.0.1', port });
      sockets.add(backend);
      backend.on('error', () => client.destroy());
      backend.on('close', () => {
        sockets.delete(backend);
        client.destroy();
      });
      client.on('close', () => backend.destroy());
      backend.on('connect', () => {
        if (backend.localPort !== undefined) peers.set(backend.localPort, remoteAddress);
        if (received.length > 0) backend.write(received);
        client.pipe(backend);
        backend.pipe(client);
        client.resume();
      });
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 || received.includes(0x0a)) route();
    };
    const timer = setTimeout(route, sniffMs);
    client.on('data', onData);
  });
  server.listen({ host: options.host, port: options.port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    peerOf: (localPort) => peers.get(localPort),
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

function classify(firstBytes: Buffer): FrontProtocol {
  const text = firstBytes.subarray(0, 4).toString('latin1');
  if (text === 'LATE') return 'probe';
  if (text === 'GET ') return 'msgpack';
  return 'pb';
}
