import type { AttachHandlers, AttachRecord, ExpectedPassword, WaitOptions } from './attach-server.js';

/** A worker name the server accepts, with its password and handlers. */
export interface Expectation {
  readonly password: ExpectedPassword;
  readonly handlers: AttachHandlers;
}

interface Waiter {
  readonly name: string;
  readonly settle: (record: AttachRecord) => 'resolve' | 'reject' | 'ignore';
  readonly rejection: ((record: AttachRecord) => Error) | undefined;
  readonly resolve: (record: AttachRecord) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The bookkeeping every attach server shares, whatever protocol its workers speak: the expected
 * workers, the records of what it saw, and the callers waiting for a record.
 */
export class AttachBook {
  readonly #expectations = new Map<string, Expectation>();
  readonly #records: AttachRecord[] = [];
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  get records(): readonly AttachRecord[] {
    return [...this.#records];
  }

  expectWorker(
    name: string,
    password: ExpectedPassword,
    handlers: AttachHandlers | AttachHandlers['onAttach'] = {},
  ): () => void {
    const expectation: Expectation = {
      password,
      handlers: typeof handlers === 'function' ? { onAttach: handlers } : handlers,
    };
    this.#expectations.set(name, expectation);
    return () => {
      if (this.#expectations.get(name) === expectation) this.#expectations.delete(name);
    };
  }

  forgetWorker(name: string): void {
    this.#expectations.delete(name);
  }

  expectation(name: string): Expectation | undefined {
    return this.#expectations.get(name);
  }

  /** The password expected of `name` now (read at attach time), if it is expected. */
  expectedPassword(name: string): string | undefined {
    const expectation = this.#expectations.get(name);
    if (expectation === undefined) return undefined;
    return typeof expectation.password === 'function' ? expectation.password() : expectation.password;
  }

  /** Records what the server saw of one connection and wakes whoever waits for it. */
  add(record: AttachRecord): void {
    this.#records.push(record);
    this.changed(record);
  }

  /** A recorded connection changed (it closed). */
  changed(record: AttachRecord): void {
    for (const waiter of [...this.#waiters]) {
      if (waiter.name !== record.workerName) continue;
      const outcome = waiter.settle(record);
      if (outcome === 'resolve') waiter.resolve(record);
      else if (outcome === 'reject' && waiter.rejection) waiter.reject(waiter.rejection(record));
    }
  }

  /** Every pending wait rejects; later waits reject at once. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters)
      waiter.reject(new Error(`attach server closed while waiting for "${waiter.name}"`));
    this.#waiters.clear();
  }

  waitForAttach(name: string, options: WaitOptions = {}): Promise<AttachRecord> {
    return this.#wait(
      name,
      (record) => (record.accepted ? 'resolve' : 'reject'),
      (record) =>
        new Error(
          `attach server refused worker "${name}" from ${record.remoteAddress}: ${record.rejection ?? 'refused'}`,
        ),
      'attach',
      options,
    );
  }

  waitForRecord(name: string, options: WaitOptions = {}): Promise<AttachRecord> {
    return this.#wait(name, () => 'resolve', undefined, 'connect', options);
  }

  waitForDetach(name: string, options: WaitOptions = {}): Promise<AttachRecord> {
    return this.#wait(
      name,
      (record) => (record.accepted && record.detachedAt !== undefined ? 'resolve' : 'ignore'),
      undefined,
      'detach',
      options,
    );
  }

  describeRecords(): string {
    if (this.#records.length === 0) return 'no worker connected to the attach server at all';
    return `the attach server saw: ${this.#records
      .map((r) => `"${r.workerName}" from ${r.remoteAddress} (${r.accepted ? 'accepted' : `refused: ${r.rejection}`})`)
      .join(', ')}`;
  }

  #wait(
    name: string,
    settle: (record: AttachRecord) => 'resolve' | 'reject' | 'ignore',
    rejection: ((record: AttachRecord) => Error) | undefined,
    what: string,
    options: WaitOptions,
  ): Promise<AttachRecord> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    for (const record of this.#records) {
      if (record.workerName !== name) continue;
      const outcome = settle(record);
      if (outcome === 'resolve') return Promise.resolve(record);
      if (outcome === 'reject' && rejection) return Promise.reject(rejection(record));
    }
    if (this.#closed) return Promise.reject(new Error(`attach server is closed; cannot wait for "${name}"`));
    return new Promise<AttachRecord>((resolve, reject) => {
      const signal = options.signal;
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason ?? new Error('aborted'));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`worker "${name}" did not ${what} within ${timeoutMs} ms; ${this.describeRecords()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        name,
        settle: (record) => {
          const outcome = settle(record);
          return outcome === 'reject' && !rejection ? 'ignore' : outcome;
        },
        rejection,
        resolve: (record) => {
          cleanup();
          resolve(record);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }
}
