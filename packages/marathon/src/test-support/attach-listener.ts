import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * A stand-in master for the docker tests until @latentci/test-kit's attach server is used: listens
 * on the Docker bridge gateway and collects the first line each worker sends (`$WORKERNAME $WORKERPASS`).
 */
export interface AttachListener {
  readonly host: string;
  readonly port: number;
  /** Resolves with the first line received. */
  nextLine(): Promise<string>;
  close(): Promise<void>;
}

export async function startAttachListener(host = '172.17.0.1'): Promise<AttachListener> {
  const waiting: ((line: string) => void)[] = [];
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      const line = buffer.slice(0, end);
      const resolve = waiting.shift();
      if (resolve) resolve(line);
      else lines.push(line);
      socket.end();
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('attach listener has no port');
  return {
    host,
    port: address.port,
    nextLine: () => {
      const line = lines.shift();
      return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
