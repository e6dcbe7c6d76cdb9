import { randomUUID } from 'node:crypto';
import type { KubernetesStatus } from './status.js';

/** A stored core/v1 object (Pod, Secret, Namespace), as JSON. */
export interface StoredObject {
  apiVersion: 'v1';
  kind: string;
  metadata: ObjectMetadata;
  [key: string]: unknown;
}

export interface ObjectMetadata {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  [key: string]: unknown;
}

/** One change, as a watch sends it. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';
  readonly object: StoredObject | KubernetesStatus;
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly resourceVersion: number;
}

/**
 * The simulator's etcd: objects by resource (`pods`, `secrets`, `namespaces`) and `namespace/name`,
 * one cluster-wide `resourceVersion` counter, and the recent changes so that a watch can resume from
 * a `resourceVersion` (older ones are answered 410 Expired, as etcd compaction does).
 */
export class ClusterStore {
  #resourceVersion = 1;
  readonly #objects = new Map<string, Map<string, StoredObject>>();
  readonly #history: WatchEvent[] = [];
  readonly #listeners = new Set<(event: WatchEvent) => void>();
  readonly #historyLimit: number;

  constructor(historyLimit: number) {
    this.#historyLimit = historyLimit;
  }

  get resourceVersion(): string {
    return String(this.#resourceVersion);
  }

  /** The oldest resourceVersion a watch can still start from. */
  get oldestWatchable(): number {
    return (this.#history[0]?.resourceVersion ?? this.#resourceVersion + 1) - 1;
  }

  get(resource: string, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.#objects.get(resource)?.get(key(namespace, name));
  }

  list(resource: string, namespace?: string): StoredObject[] {
    return [...(this.#objects.get(resource)?.values() ?? [])].filter(
      (object) => namespace === undefined || object.metadata.namespace === namespace,
    );
  }

  /** Stores a new object: fills uid, resourceVersion and creationTimestamp; emits ADDED. */
  create(
    resource: string,
    object: Omit<StoredObject, 'metadata'> & { metadata: Partial<ObjectMetadata> },
  ): StoredObject {
    const stored = object as StoredObject;
    stored.metadata.uid = randomUUID();
    stored.metadata.creationTimestamp = timestamp();
    let objects = this.#objects.get(resource);
    if (!objects) {
      objects = new Map();
      this.#objects.set(resource, objects);
    }
    objects.set(key(stored.metadata.namespace, stored.metadata.name), stored);
    this.#emit('ADDED', resource, stored);
    return stored;
  }

  /** Applies `change` to the stored object (if it still exists) and emits MODIFIED. */
  update(resource: string, object: StoredObject, change: (object: StoredObject) => void): boolean {
    if (this.get(resource, object.metadata.namespace, object.metadata.name) !== object) return false;
    change(object);
    this.#emit('MODIFIED', resource, object);
    return true;
  }

  /** Removes the object (if it is still this one) and emits DELETED. */
  remove(resource: string, object: StoredObject): boolean {
    const objects = this.#objects.get(resource);
    const id = key(object.metadata.namespace, object.metadata.name);
    if (objects?.get(id) !== object) return false;
    objects.delete(id);
    this.#emit('DELETED', resource, object);
    return true;
  }

  /** Changes after `resourceVersion`, for a resuming watch. */
  since(resourceVersion: number): WatchEvent[] {
    return this.#history.filter((event) => event.resourceVersion > resourceVersion);
  }

  subscribe(listener: (event: WatchEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(type: WatchEvent['type'], resource: string, object: StoredObject): void {
    this.#resourceVersion += 1;
    object.metadata.resourceVersion = String(this.#resourceVersion);
    const event: WatchEvent = {
      type,
      resource,
      namespace: object.metadata.namespace,
      object: structuredClone(object),
      resourceVersion: this.#resourceVersion,
    };
    this.#history.push(event);
    if (this.#history.length > this.#historyLimit) this.#history.splice(0, this.#history.length - this.#historyLimit);
    for (const listener of this.#listeners) listener(event);
  }
}

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** RFC 3339 at seconds precision, as `metav1.Time` serializes. */
export function timestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
