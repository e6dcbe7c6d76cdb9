import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files of a throw-away CA, an engine (server) certificate for 127.0.0.1 and a client certificate. */
export interface TestTlsFiles {
  readonly directory: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly cert: string;
  readonly key: string;
}

/** A TLS-terminating forwarder in front of an engine's unix socket, like dockerd's `--tlsverify` listener. */
export interface DockerTlsForwarder {
  /** `tcp://127.0.0.1:<port>` (use with `tls`) — `https://127.0.0.1:<port>` works too. */
  readonly dockerHost: string;
  readonly port: number;
  /** Client-side TLS settings: the CA, client certificate and key (file paths). */
  readonly tls: { readonly ca: string; readonly cert: string; readonly key: string };
  /** Stops listening, closes every connection and removes the generated certificates. */
  close(): Promise<void>;
}

/**
 * Generates a CA, a server certificate (SAN 127.0.0.1, localhost) and a client certificate with
 * openssl (EC P-256 keys, so it takes milliseconds) in a fresh private temp folder.
 */
export async function generateTestTls(): Promise<TestTlsFiles> {
  const directory = await mkdtemp(join(tmpdir(), 'latentci-tls-'));
  const path = (name: string) => join(directory, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: directory });
  const ecKey = (name: string) =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name);
  try {
    await ecKey('ca-key.pem');
    await openssl(
      'req',
      '-new',
      '-x509',
      '-days',
      '2',
      '-key',
      'ca-key.pem',
      '-sha256',
      '-subj',
      '/CN=latentci test CA',
      '-out',
      'ca.pem',
    );
    for (const [key, cert, subject, extensions] of [
      ['server-key.pem', 'server-cert.pem', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ['key.pem', 'cert.pem', '/CN=latentci client', 'extendedKeyUsage=clientAuth'],
    ] as const) {
      await ecKey(key);
      await openssl(
        'req',
        '-new',
        '-x509',
        '-days',
        '2',
        '-sha256',
        '-key',
        key,
        '-subj',
        subject,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca-key.pem',
        '-addext',
        extensions,
        '-addext',
        'basicConstraints=CA:FALSE',
        '-out',
        cert,
      );
    }
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`cannot generate test certificates with openssl (install openssl): ${String(error)}`);
  }
  return {
    directory,
    ca: path('ca.pem'),
    serverCert: path('server-cert.pem'),
    serverKey: path('server-key.pem'),
    cert: path('cert.pem'),
    key: path('key.pem'),
  };
}

/**
 * Starts a loopback listener that speaks TLS with client-certificate verification and forwards the
 * decrypted stream to the engine's unix socket. A client that speaks plain HTTP gets the answer Go's
 * HTTP server (dockerd) gives: `400 Client sent an HTTP request to an HTTPS server.` So the TLS
 * path of the provider is tested against any running engine, with certificates made here.
 */
export async function startDockerTlsForwarder(options: { socketPath?: string } = {}): Promise<DockerTlsForwarder> {
  const socketPath = options.socketPath ?? '/var/run/docker.sock';
  const files = await generateTestTls();
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const tlsServer = createTlsServer(
    {
      ca: await readFile(files.ca),
      cert: await readFile(files.serverCert),
      key: await readFile(files.serverKey),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (client: TLSSocket) => {
      const upstream = connect(socketPath);
      track(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    },
  );
  tlsServer.on('tlsClientError', (_error, socket) => socket.destroy());
  const server = createServer((socket) => {
    track(socket);
    socket.on('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      if (chunk[0] === 0x16) {
        socket.unshift(chunk);
        tlsServer.emit('connection', socket);
        return;
      }
      socket.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
    });
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  const { port } = server.address() as AddressInfo;
  return {
    dockerHost: `tcp://127.0.0.1:${port}`,
    port,
    tls: { ca: files.ca, cert: files.cert, key: files.key },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(files.directory, { recursive: true, force: true });
    },
  };
}
