import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';

/** Listens on the master address without speaking any protocol: it only records that connections arrive. */
export interface TcpObserver {
  readonly host: string;
  readonly port: number;
  /** Connections seen so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Starts a TCP observer; `onConnection` is called with the peer address of each connection. */
export async function startTcpObserver(
  host: string,
  port: number,
  onConnection: (remoteAddress: string) => void,
): Promise<TcpObserver> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
    onConnection((socket.remoteAddress ?? 'unknown').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1'));
  });
  server.listen({ host, port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  const address = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    host,
    port: address.port,
    get connections() {
      return connections;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
