import { connect, type Socket } from 'node:net';
import type { StartInstanceRequest } from '@latentci/core';
import { formatAttachEnvironment, formatAttachHello } from '@latentci/test-kit';

/** The part of an in-memory instance (`@latentci/core/testing`) a simulated worker needs. */
export interface SimulatedInstance {
  readonly id: string;
  readonly status: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly crashMessage?: string;
}

/** The hooks of the in-memory reference provider (`createInMemoryProvider()` from `@latentci/core/testing`). */
export interface SimulatableProvider<Instance extends SimulatedInstance> {
  onStarted: ((instance: Instance, request: StartInstanceRequest) => void) | undefined;
  onStopped: ((instance: Instance) => void) | undefined;
}

export interface SimulateWorkersOptions {
  /** Present a wrong password, like the probe image's `PROBE_WRONG_PASSWORD=1`. */
  readonly wrongPassword?: boolean;
}

/**
 * Gives every instance of the in-memory reference provider a worker process, simulated in this
 * process: it connects to `$BUILDMASTER:$BUILDMASTER_PORT` over TCP and logs in with `$WORKERNAME`
 * and `$WORKERPASS` (the attach protocol of `@latentci/test-kit`'s probe image), prints what it
 * does as instance log lines, and disconnects when the instance is stopped. A crashed instance
 * (`crashNextInstance`) prints its crash message instead of connecting.
 *
 * With it, `tryWorker` and the demo run the whole lifecycle without a Docker engine.
 */
export function simulateInMemoryWorkers<Instance extends SimulatedInstance>(
  provider: SimulatableProvider<Instance>,
  options: SimulateWorkersOptions = {},
): void {
  const sockets = new Map<string, Socket>();
  provider.onStarted = (instance, request) => {
    const log = (line: string, stream: 'stdout' | 'stderr' = 'stderr') => request.events.log(line, stream);
    if (instance.status !== 'running') {
      log(instance.crashMessage ?? 'in-memory worker: crashed');
      return;
    }
    const environment = instance.environment;
    const host = (environment.BUILDMASTER ?? '').replace(/^\[|\]$/g, '');
    const port = Number(environment.BUILDMASTER_PORT);
    log(`in-memory worker: connecting to ${host} port ${port} as ${environment.WORKERNAME}`);
    const socket = connect({ host, port });
    sockets.set(instance.id, socket);
    socket.setEncoding('utf8');
    socket.on('error', (error) => log(`in-memory worker: ${error.message}`));
    socket.on('connect', () => {
      const password = options.wrongPassword ? 'latentci-in-memory-wrong-password' : (environment.WORKERPASS ?? '');
      socket.write(formatAttachHello(environment.WORKERNAME ?? '', password));
      socket.write(formatAttachEnvironment(environment));
    });
    let reply = '';
    socket.on('data', (chunk: string) => {
      if (reply.includes('\n')) return;
      reply += chunk;
      if (!reply.includes('\n')) return;
      if (reply.startsWith('OK')) log(`in-memory worker: attached to the master as ${environment.WORKERNAME}`);
      else
        log(`in-memory worker: the master refused worker ${environment.WORKERNAME} (unknown name or wrong password)`);
    });
  };
  provider.onStopped = (instance) => {
    sockets.get(instance.id)?.destroy();
    sockets.delete(instance.id);
  };
}
