import { afterEach, describe, expect, it } from 'vitest';
import { startWorkerServer, type WorkerServer } from '../worker-server.js';
import { BananaDecoder, type BananaValue, bytesEqual, encodeBanana } from './banana.js';
import { jelly, unjelly } from './jelly.js';
import {
  jellyJson,
  loadChunks,
  loadTranscript,
  markerReferences,
  pbJson,
  TranscriptClient,
  transcriptLogin,
} from './transcript.test-support.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function decodeStream(chunks: Uint8Array[]): BananaValue[] {
  const values: BananaValue[] = [];
  const decoder = new BananaDecoder((value) => {
    values.push(value);
    decoder.vocabulary = true;
  });
  for (const chunk of chunks) decoder.feed(chunk);
  expect(decoder.idle).toBe(true);
  return values;
}

/** Re-jellies every Jelly payload of a PB message: unjelly then jelly must give the same S-expression. */
function rejelly(expression: BananaValue): BananaValue {
  if (!Array.isArray(expression)) return expression;
  const again = (sexp: BananaValue) => jelly(unjelly(sexp, markerReferences, { keepFloats: true }), markerReferences);
  const [kind, ...fields] = expression;
  if (bytesEqual(kind, 'message')) {
    return [
      kind,
      ...fields.slice(0, 4),
      again(fields[4] as BananaValue),
      again(fields[5] as BananaValue),
    ] as BananaValue;
  }
  if (bytesEqual(kind, 'answer') || bytesEqual(kind, 'error')) {
    return [kind as BananaValue, fields[0] as BananaValue, again(fields[1] as BananaValue)];
  }
  return expression;
}

describe.each(['pb-session', 'pb-wrong-password'] as const)('golden transcript %s', (stem) => {
  const entries = loadTranscript(stem);

  it.each(['m2w', 'w2m'] as const)(
    '%s: decoding the captured byte stream gives the recorded structure; re-encoding gives the same bytes',
    (dir) => {
      const expected = entries.filter((entry) => entry.dir === dir);
      const decoded = decodeStream(loadChunks(stem, dir));
      expect(decoded).toHaveLength(expected.length);
      decoded.forEach((value, index) => {
        const entry = expected[index];
        if (!entry) throw new Error('missing entry');
        expect(hex(encodeBanana(value, index > 0)), entry.summary).toBe(entry.hex);
        if (index === 0) return;
        expect(pbJson(value), entry.summary).toEqual(entry.pb);
        expect(hex(encodeBanana(rejelly(value))), `re-jellied ${entry.summary}`).toBe(entry.hex);
      });
    },
  );
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serverAndClient(): Promise<{ server: WorkerServer; client: TranscriptClient }> {
  const server = await startWorkerServer({ pb: { port: 0 } });
  cleanups.push(() => server.close());
  server.addWorker({ name: 'tw', password: 'tw-pass', builderDirectory: 'hello' });
  const address = server.addresses.pb;
  if (!address) throw new Error('no PB address');
  const client = await TranscriptClient.connect(address.host, address.port);
  cleanups.push(() => client.close());
  return { server, client };
}

function withoutRandom(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, entry) => {
      if (key === 'requestID' || key === 'traceback' || key === 'count') return '<varies>';
      if (entry && typeof entry === 'object' && '$hex' in entry) return { $hex: '<random>' };
      return entry;
    }),
  );
}

describe('our master on the wire, against the worker side of the transcripts', () => {
  const session = loadTranscript('pb-session');
  const m2w = session.filter((entry) => entry.dir === 'm2w');
  const w2m = session.filter((entry) => entry.dir === 'w2m');
  const byHex = (value: BananaValue) => hex(encodeBanana(value, true));

  it('sends the same bytes as Buildbot 3.7 for login, the shell command, updates, keepalives and shutdown', async () => {
    const { server, client } = await serverAndClient();
    const loggedIn = await transcriptLogin(client, 'tw-pass');
    const received = client.received;
    // Dialect offer, version, challenge (random bytes aside), print, getWorkerInfo, setBuilderList, (remote 2).
    expect(hex(encodeBanana(received[0] as BananaValue, false))).toBe(m2w[0]?.hex);
    expect(byHex(received[1] as BananaValue)).toBe(m2w[1]?.hex);
    expect(withoutRandom(pbJson(received[2] as BananaValue))).toEqual(withoutRandom(m2w[2]?.pb));
    expect(byHex(received[3] as BananaValue)).toBe(m2w[3]?.hex);
    expect(byHex(received[4] as BananaValue)).toBe(m2w[4]?.hex);
    expect(byHex(received[5] as BananaValue)).toBe(m2w[5]?.hex);
    expect(byHex(loggedIn)).toBe(m2w[7]?.hex);

    const connection = await server.waitForWorker('tw');
    expect(connection.info.version).toBe('3.7.0-2');
    const running = connection.runShell({ command: ['echo', 'hello'] });
    const startCommand = await client.expression(7);
    const buildbotStart = session.find((entry) => entry.summary.includes('."startCommand"('));
    const normalise = (pb: unknown) =>
      JSON.parse(
        JSON.stringify(pb, (key, entry) => (key === 'requestID' ? 0 : entry)).replace(
          /"\$tuple":\[\{"\$remote":3\},"\d+"/,
          '"$tuple":[{"$remote":3},"<id>"',
        ),
      );
    expect(normalise(pbJson(startCommand))).toEqual(normalise(buildbotStart?.pb));
    client.answer(startCommand, [Buffer.from('None')]);
    // The worker's five updates and complete, byte for byte as captured.
    const updates = w2m.filter(
      (entry) => entry.summary.includes('."update"(') || entry.summary.includes('."complete"('),
    );
    expect(updates).toHaveLength(6);
    for (const update of updates) client.send(update.bytes);
    const result = await running;
    expect(result.rc).toBe(0);
    expect(result.stdout).toBe('hello\n');
    expect(result.header).toContain('echo hello');
    const answersToUpdates = m2w.filter((entry) => /^answer to req#[3-8]$/.test(entry.summary)).slice(-6);
    for (let index = 0; index < 6; index += 1) {
      expect(byHex(await client.expression(8 + index))).toBe(answersToUpdates[index]?.hex);
    }

    const keepalives = w2m.filter((entry) => entry.summary.includes('."keepalive"('));
    for (const [index, keepalive] of keepalives.entries()) {
      client.send(keepalive.bytes);
      const answer = m2w.find((entry) => entry.summary === `answer to req#${9 + index}`);
      expect(byHex(await client.expression(14 + index))).toBe(answer?.hex);
    }

    const requested = new Promise<void>((resolve) => connection.onShutdownRequest(resolve));
    client.send(w2m.find((entry) => entry.summary.includes('."shutdown"('))?.bytes as Uint8Array);
    await requested;
    expect(byHex(await client.expression(17))).toBe(m2w.find((entry) => entry.summary === 'answer to req#12')?.hex);
    const shuttingDown = connection.shutdown();
    const shutdownCall = await client.expression(18);
    expect(normalise(pbJson(shutdownCall))).toEqual(
      normalise(m2w.find((entry) => entry.summary.includes('."shutdown"('))?.pb),
    );
    client.answer(shutdownCall, [Buffer.from('None')]);
    client.close();
    await shuttingDown;
    expect(connection.isClosed).toBe(true);
  });

  it('refuses a wrong password with the failure Buildbot sends (UnauthorizedLogin), so that the worker retries', async () => {
    const refused = loadTranscript('pb-wrong-password').find((entry) => entry.summary === 'error for req#2');
    const { server, client } = await serverAndClient();
    const error = await transcriptLogin(client, 'wrong-pass');
    expect(withoutRandom(pbJson(error))).toEqual(withoutRandom(refused?.pb));
    expect(server.connection('tw')).toBeUndefined();
    expect(jellyJson(null)).toBeNull();
  });
});
