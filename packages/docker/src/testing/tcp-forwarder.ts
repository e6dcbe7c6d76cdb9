import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/** A plain TCP listener that forwards every connection to the engine's unix socket. */
export interface DockerTcpForwarder {
  /** `tcp://127.0.0.1:<port>`: a `dockerHost` that reaches the engine over TCP. */
  readonly dockerHost: string;
  readonly port: number;
  /** Connections accepted so far (proves traffic went through TCP). */
  readonly connections: number;
  /** Stops listening and closes every forwarded connection. */
  close(): Promise<void>;
}

/**
 * Starts a loopback TCP forwarder to a Docker unix socket, to test `tcp://` dockerHost settings
 * on an engine that only listens on its socket. Listens on 127.0.0.1 only.
 */
export async function startDockerTcpForwarder(
  options: { socketPath?: string; host?: string; port?: number } = {},
): Promise<DockerTcpForwarder> {
  const socketPath = options.socketPath ?? defaultSocketPath();
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = connect(socketPath);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  const { port } = server.address() as AddressInfo;
  return {
    dockerHost: `tcp://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The socket `DOCKER_HOST` names when it is a `unix://` address (a Podman socket, say), else Docker's. */
function defaultSocketPath(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}
