import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { ATTACH_ACCEPTED, formatAttachEnvironment, formatAttachHello } from './attach-protocol.js';

export interface ProbeClientOptions {
  /** Present a wrong password (the probe image's `PROBE_WRONG_PASSWORD=1`). */
  readonly wrongPassword?: boolean;
  /** Connection attempts, `retryDelayMs` apart, while the master does not listen. Default 30. */
  readonly attempts?: number;
  /** Default 1000. */
  readonly retryDelayMs?: number;
  /** Aborting closes the connection (or stops trying). */
  readonly signal?: AbortSignal;
}

/** A worker connection made by {@link connectProbe}. */
export interface ProbeClient {
  /** Resolves `true` on `OK`, `false` on `DENIED`; rejects when the master could not be reached. */
  readonly attached: Promise<boolean>;
  /** Resolves when the connection is closed (by either side) or was never made. */
  readonly closed: Promise<void>;
  /** Closes the connection (the worker detaches). */
  close(): void;
}

/**
 * The probe worker in JavaScript: reads the environment contract from `environment` and attaches
 * to `$BUILDMASTER:$BUILDMASTER_PORT` like the probe image does (greeting, then the `ENV` line
 * with the whole `environment`). For backends that run JavaScript, not containers: the in-memory
 * reference backend "attaches" its instances with it.
 */
export function connectProbe(
  environment: Readonly<Record<string, string | undefined>>,
  options: ProbeClientOptions = {},
): ProbeClient {
  const host = (environment.BUILDMASTER ?? '').replace(/^\[(.*)\]$/, '$1');
  const port = Number(environment.BUILDMASTER_PORT);
  const name = environment.WORKERNAME ?? '';
  const password = options.wrongPassword ? 'latentci-probe-wrong-password' : (environment.WORKERPASS ?? '');
  let socket: Socket | undefined;
  let closedByUs = false;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const close = () => {
    closedByUs = true;
    socket?.destroy();
    if (!socket) markClosed();
  };
  options.signal?.addEventListener('abort', close, { once: true });

  const attached = (async () => {
    if (!host || !Number.isInteger(port) || !name || !password) {
      markClosed();
      throw new Error('probe: BUILDMASTER, BUILDMASTER_PORT, WORKERNAME and WORKERPASS must all be set');
    }
    const attempts = options.attempts ?? 30;
    for (let attempt = 1; ; attempt++) {
      if (closedByUs) {
        markClosed();
        return false;
      }
      const candidate = connect({ host, port });
      try {
        await Promise.race([
          once(candidate, 'connect'),
          once(candidate, 'error').then(([error]) => Promise.reject(error)),
        ]);
        socket = candidate;
        break;
      } catch (error) {
        candidate.destroy();
        if (attempt >= attempts) {
          markClosed();
          throw new Error(`probe: could not reach the master at ${host} port ${port} after ${attempt} attempts`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
      }
    }
    const connection = socket;
    connection.on('error', () => {});
    connection.once('close', () => markClosed());
    if (closedByUs) connection.destroy();
    connection.setEncoding('utf8');
    connection.write(formatAttachHello(name, password));
    connection.write(formatAttachEnvironment(environment));
    const reply = await new Promise<string>((resolve) => {
      let received = '';
      const onData = (chunk: string) => {
        received += chunk;
        if (!received.includes('\n')) return;
        connection.off('data', onData);
        resolve(received.split('\n')[0]?.trim() ?? '');
      };
      connection.on('data', onData);
      connection.once('close', () => resolve(received.trim()));
    });
    // Keep reading (and discarding) so the connection notices when the master hangs up.
    connection.resume();
    return reply === ATTACH_ACCEPTED;
  })();
  attached.catch(() => {});
  return { attached, closed, close };
}
