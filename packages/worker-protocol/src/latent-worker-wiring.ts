import type { LatentWorker } from '@latentci/core';
import type { WorkerConnection } from './worker-connection.js';
import type { WorkerServer } from './worker-server.js';

export interface ConnectLatentWorkerOptions {
  /** The builder directory commands run in (default `latentci`). */
  readonly builderDirectory?: string;
}

/**
 * Connects a core `LatentWorker` to the server the way a Buildbot master does: a login with the
 * worker's (auto) password calls `worker.attached(connection)` (a refusal refuses the login), a
 * lost connection calls `worker.detached(connection)`, and when the lifecycle drops the connection
 * (idle timeout, shutdown) the worker is asked to shut down. Returns a function that undoes it.
 */
export function connectLatentWorker(
  server: WorkerServer,
  worker: LatentWorker,
  options: ConnectLatentWorkerOptions = {},
): () => void {
  server.addWorker({
    name: worker.name,
    password: () => worker.password,
    ...(options.builderDirectory !== undefined ? { builderDirectory: options.builderDirectory } : {}),
    onAttach: (connection) => worker.attached(connection),
  });
  const offDisconnect = server.on('disconnect', ({ connection }) => {
    if (connection.name === worker.name) worker.detached(connection);
  });
  const offDropped = worker.on('connection-dropped', ({ connection }) => {
    const dropped = connection as WorkerConnection | undefined;
    if (dropped && typeof dropped.shutdown === 'function' && !dropped.isClosed) {
      dropped.shutdown().catch(() => dropped.close().catch(() => {}));
    }
  });
  return () => {
    offDisconnect();
    offDropped();
    server.removeWorker(worker.name);
  };
}
