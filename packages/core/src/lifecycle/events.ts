import type { InstanceProgress } from '../contract/provider.js';
import type { LatentWorkerState } from './state.js';

/** The events a `LatentWorker` emits. Payloads are redacted of secrets. */
export interface LatentWorkerEvents {
  /** The state changed. */
  state: { readonly from: LatentWorkerState; readonly to: LatentWorkerState };
  /** One line the starting instance printed (providers with `startupLogs`). */
  log: { readonly line: string; readonly stream: 'stdout' | 'stderr' };
  /** Progress of a preparation step (image pull or build, deployment). */
  progress: InstanceProgress;
  /** The worker entered quarantine for `seconds`. */
  'quarantine-entered': { readonly seconds: number };
  /** The worker left quarantine (the wait `expired`, or it was `stopped` by unpause/shutdown). */
  'quarantine-left': { readonly reason: 'expired' | 'stopped' };
  /**
   * The provider's health check says the instance is accepted but still waits for placement, and
   * why (`InstanceHealth.pending`). Emitted when the reason changes; redacted.
   */
  'instance-pending': { readonly reason: string };
  /** The worker attached: every waiting `substantiate()` resolved. */
  'substantiation-succeeded': { readonly alreadyAttached: boolean };
  /** A substantiation failed; `error` is what the waiters received. */
  'substantiation-failed': { readonly error: Error };
  /**
   * The worker may take builds again (after a stop, a finished build, the end of a quarantine):
   * Buildbot's "try to start builds for this worker". Masters re-run their build distribution.
   */
  'builds-may-start': Record<string, never>;
  /** The lifecycle dropped the worker's connection (idle timeout); the master should close it. */
  'connection-dropped': { readonly connection: unknown };
}

export type Listener<T> = (payload: T) => void;

/** A small typed event emitter. Listener errors are isolated: they never break the lifecycle. */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();
  readonly #onListenerError: (error: unknown) => void;
  readonly #observe: ((event: keyof Events, payload: unknown) => void) | undefined;

  /** `observe` sees every emitted event, listened to or not (for the diagnostics channel). */
  constructor(onListenerError: (error: unknown) => void, observe?: (event: keyof Events, payload: unknown) => void) {
    this.#onListenerError = onListenerError;
    this.#observe = observe;
  }

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** True when `event` has a listener (callers may skip preparing a payload nobody receives). */
  hasListeners(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    this.#observe?.(event, payload);
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
