import type { AttachConnection, AttachServer } from './attach-server.js';

/**
 * What `attachLatentWorker` needs of a worker: core's `LatentWorker` fits. `password` is read at
 * attach time, so auto-generated passwords (known once an instance starts) work.
 */
export interface AttachableWorker {
  readonly name: string;
  readonly password?: string | undefined;
  attached(connection?: unknown): unknown;
  detached?(connection?: unknown): unknown;
  on?(event: 'connection-dropped', listener: (payload: { readonly connection: unknown }) => void): unknown;
}

/**
 * Wires a latent worker to an attach server, the way a master wires a worker to its PB listener:
 * a probe presenting the worker's name and password makes the server call `worker.attached()`
 * (a refusal from `attached()` answers `DENIED`), its connection closing calls `worker.detached()`,
 * and the lifecycle dropping the connection (idle timeout) closes it. Returns a function that
 * unwires it.
 */
export function attachLatentWorker(server: AttachServer, worker: AttachableWorker): () => void {
  const forget = server.expectWorker(worker.name, () => worker.password, {
    onAttach: (connection) => worker.attached(connection),
    onDetach: (connection) => worker.detached?.(connection),
  });
  const unsubscribe = worker.on?.('connection-dropped', ({ connection }) => {
    if (isAttachConnection(connection)) connection.close();
  });
  return () => {
    forget();
    if (typeof unsubscribe === 'function') unsubscribe();
  };
}

function isAttachConnection(value: unknown): value is AttachConnection {
  return typeof value === 'object' && value !== null && 'close' in value && 'record' in value;
}
