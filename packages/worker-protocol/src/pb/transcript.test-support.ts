import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { BananaDecoder, type BananaValue, bytesEqual, bytesOf, encodeBanana } from './banana.js';
import { JellyCopy, JellyFloat, type JellyReferences, JellyTuple, unjelly } from './jelly.js';
import { pbLoginResponse } from './pb-listener.js';

/** One captured expression of a golden transcript (see fixtures/README.md). */
export interface TranscriptEntry {
  readonly dir: 'm2w' | 'w2m';
  readonly summary: string;
  readonly hex: string;
  readonly bytes: Uint8Array;
  readonly pb: unknown;
}

export function loadTranscript(stem: 'pb-session' | 'pb-wrong-password'): TranscriptEntry[] {
  const url = new URL(`./fixtures/${stem}.messages.json`, import.meta.url);
  const entries = JSON.parse(readFileSync(url, 'utf8')) as {
    dir: 'm2w' | 'w2m';
    hex?: string;
    summary: string;
    pb: unknown;
  }[];
  return entries
    .filter((entry) => entry.hex !== undefined)
    .map((entry) => ({ ...entry, hex: entry.hex as string, bytes: Buffer.from(entry.hex as string, 'hex') }));
}

/** The raw byte stream of one direction with its TCP read boundaries, from `<stem>.jsonl`. */
export function loadChunks(stem: 'pb-session' | 'pb-wrong-password', dir: 'm2w' | 'w2m'): Uint8Array[] {
  const url = new URL(`./fixtures/${stem}.jsonl`, import.meta.url);
  return readFileSync(url, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { dir: string; hex: string })
    .filter((chunk) => chunk.dir === dir && chunk.hex !== '')
    .map((chunk) => Buffer.from(chunk.hex, 'hex'));
}

/** `(remote n)` as a marker, so that re-jellying gives `(remote n)` again. */
export class RemoteMarker {
  constructor(readonly luid: number) {}
}

/** References for decoding transcripts outside a broker. */
export const markerReferences: JellyReferences = {
  remote: (luid) => new RemoteMarker(luid),
  local: (luid) => ({ local: luid }),
  localIdOf: (value) => (value instanceof RemoteMarker ? value.luid : undefined),
  remoteIdOf: () => undefined,
};

function isText(bytes: Uint8Array): boolean {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return !/[\u0000-\u0008\u000e-\u001f\u007f-\u009f\ufffd]/u.test(text);
  } catch {
    return false;
  }
}

/** A Jelly value in the transcripts' JSON convention (`$bytes`, `$hex`, `$tuple`, `$remote`, `$copy`, `$float`). */
export function jellyJson(value: unknown): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof JellyFloat) return { $float: value.value };
  if (value instanceof Uint8Array) {
    return isText(value)
      ? { $bytes: Buffer.from(value).toString('utf8') }
      : { $hex: Buffer.from(value).toString('hex') };
  }
  if (value instanceof RemoteMarker) return { $remote: value.luid };
  if (value instanceof JellyTuple) return { $tuple: value.items.map(jellyJson) };
  if (Array.isArray(value)) return value.map(jellyJson);
  if (value instanceof JellyCopy) return { $copy: value.typeTag, state: jellyJson(value.state) };
  if (value instanceof Map) {
    if ([...value.keys()].every((key) => typeof key === 'string')) {
      return Object.fromEntries([...value].map(([key, entry]) => [key, jellyJson(entry)]));
    }
    return { $dict: [...value].map(([key, entry]) => [jellyJson(key), jellyJson(entry)]) };
  }
  throw new TypeError(`no JSON form for ${String(value)}`);
}

const jellyOf = (sexp: BananaValue) => unjelly(sexp, markerReferences, { keepFloats: true });

/** The `pb` field of a transcript entry, computed from one decoded PB expression (after the dialect). */
export function pbJson(expression: BananaValue): unknown {
  if (!Array.isArray(expression)) throw new TypeError('a PB message is a list');
  const [kind, ...fields] = expression;
  if (bytesEqual(kind, 'version')) return { kind: 'version', version: fields[0] };
  if (bytesEqual(kind, 'message')) {
    const [requestID, objectID, method, answerRequired, args, kwargs] = fields as BananaValue[];
    return {
      kind: 'message',
      requestID,
      objectID: objectID instanceof Uint8Array ? jellyJson(objectID) : objectID,
      method: Buffer.from(method as Uint8Array).toString('utf8'),
      answerRequired,
      args: jellyJson(jellyOf(args as BananaValue)),
      kwargs: jellyJson(jellyOf(kwargs as BananaValue)),
    };
  }
  if (bytesEqual(kind, 'answer'))
    return { kind: 'answer', requestID: fields[0], result: jellyJson(jellyOf(fields[1] as BananaValue)) };
  if (bytesEqual(kind, 'error'))
    return { kind: 'error', requestID: fields[0], failure: jellyJson(jellyOf(fields[1] as BananaValue)) };
  if (bytesEqual(kind, 'decref')) return { kind: 'decref', objectID: fields[0] };
  throw new TypeError('unknown PB message kind');
}

/**
 * A Node PB client that plays the worker's side of the golden transcript: the transcript's own
 * bytes wherever they are deterministic, the login response computed from the master's challenge.
 * It records every expression the master sends.
 */
export class TranscriptClient {
  readonly received: BananaValue[] = [];
  readonly #socket: Socket;
  readonly #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    const decoder = new BananaDecoder((value) => {
      if (this.received.length === 0) decoder.vocabulary = true;
      this.received.push(value);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('data', (chunk: Buffer) => decoder.feed(chunk));
    socket.on('close', () => {
      this.#closed = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  static connect(host: string, port: number): Promise<TranscriptClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new TranscriptClient(socket));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }

  /** Waits for the master's `index`-th expression (0 = the dialect offer). */
  async expression(index: number, timeoutMs = 10_000): Promise<BananaValue> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length <= index) {
      if (this.#closed) throw new Error(`the master closed the connection before expression ${index}`);
      if (Date.now() > deadline) throw new Error(`no expression ${index} from the master within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.received[index] as BananaValue;
  }

  /** Answers a master's `message` with the given result S-expression. */
  answer(message: BananaValue, result: BananaValue): void {
    if (!Array.isArray(message)) throw new TypeError('not a message');
    this.send(encodeBanana([bytesOf('answer'), message[1] as number, result]));
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** The `respond` message of the transcript's login, recomputed for `challenge`. */
export function respondMessage(password: string, challenge: Uint8Array): Uint8Array {
  return encodeBanana([
    bytesOf('message'),
    2,
    1,
    Buffer.from('respond'),
    1,
    [bytesOf('tuple'), pbLoginResponse(password, challenge), [bytesOf('remote'), 1]],
    [bytesOf('dictionary')],
  ]);
}

/** The challenge inside the master's answer to `login`. */
export function challengeOf(answer: BananaValue): Uint8Array {
  const tuple = Array.isArray(answer) ? answer[2] : undefined;
  const challenge = Array.isArray(tuple) ? tuple[1] : undefined;
  if (!(challenge instanceof Uint8Array)) throw new TypeError('no challenge in the login answer');
  return challenge;
}

/**
 * Logs in as the transcript's worker `tw` and answers the master's login-time calls with the
 * transcript's answers. Resolves once the master answered `respond`; returns that answer.
 */
export async function transcriptLogin(client: TranscriptClient, password: string, name = 'tw'): Promise<BananaValue> {
  const session = loadTranscript('pb-session');
  const w2m = session.filter((entry) => entry.dir === 'w2m');
  await client.expression(0);
  client.send(w2m[0]?.bytes as Uint8Array);
  client.send(w2m[1]?.bytes as Uint8Array);
  client.send(
    name === 'tw'
      ? (w2m[2]?.bytes as Uint8Array)
      : encodeBanana([
          bytesOf('message'),
          1,
          Buffer.from('root'),
          bytesOf('login'),
          1,
          [bytesOf('tuple'), Buffer.from(name, 'utf8')],
          [bytesOf('dictionary')],
        ]),
  );
  const loginAnswer = await client.expression(2);
  client.send(respondMessage(password, challengeOf(loginAnswer)));
  client.send(w2m[4]?.bytes as Uint8Array);
  const answers = new Map<string, BananaValue>();
  for (const entry of session) {
    if (entry.dir !== 'w2m' || !entry.summary.startsWith('answer to req#')) continue;
    const decoded: BananaValue[] = [];
    const decoder = new BananaDecoder((value) => decoded.push(value));
    decoder.vocabulary = true;
    decoder.feed(entry.bytes);
    const requestId = (decoded[0] as BananaValue[])[1];
    answers.set(String(requestId), (decoded[0] as BananaValue[])[2] as BananaValue);
  }
  const byMethod: Record<string, BananaValue | undefined> = {
    print: answers.get('1'),
    getWorkerInfo: answers.get('2'),
    setBuilderList: answers.get('3'),
  };
  for (let index = 3; ; index += 1) {
    const expression = await client.expression(index);
    if (!Array.isArray(expression)) throw new TypeError('not a list');
    if (bytesEqual(expression[0], 'answer') || bytesEqual(expression[0], 'error')) return expression;
    const method = Buffer.from(expression[3] as Uint8Array).toString('utf8');
    const result = byMethod[method];
    if (result === undefined) throw new Error(`the transcript has no answer for ${method}`);
    client.answer(expression, result);
  }
}
