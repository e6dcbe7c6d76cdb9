import { afterEach, describe, expect, it } from 'vitest';
import type { CommandSink } from '../protocol-channel.js';
import { decodeMsgpackMap, encodeMsgpack } from './msgpack-codec.js';
import { type MsgpackListener, startMsgpackListener } from './msgpack-listener.js';
import { RawWsPeer } from './testing/raw-ws-peer.js';
import { shellArgs, TestAuthority } from './testing/test-authority.js';
import { fromRecorded, type HttpEntry, readTranscript, toPlain, type WsEntry } from './testing/transcripts.js';

const session = readTranscript('msgpack-session');
const wrongPassword = readTranscript('msgpack-wrong-password');
const frames = session.filter((entry): entry is WsEntry => entry.kind === 'ws');

/** The recorded frame of `dir` whose message has this op and seq_number. */
function recorded(dir: 'w2m' | 'm2w', op: string, seq: number, commandId?: string): WsEntry {
  const found = frames.find((entry) => {
    const msg = entry.msg as Record<string, unknown>;
    return (
      entry.dir === dir &&
      msg.op === op &&
      msg.seq_number === seq &&
      (commandId === undefined || msg.command_id === commandId)
    );
  });
  if (!found) throw new Error(`no recorded ${dir} ${op} #${seq}`);
  return found;
}

const bytes = (hex: string) => Buffer.from(hex, 'hex');
const requestOf = (entries: typeof session) =>
  (entries.find((entry) => entry.kind === 'http' && entry.dir === 'w2m') as HttpEntry).text;

describe('golden msgpack transcripts (Buildbot 3.7 master ↔ buildbot-worker 3.7)', () => {
  it('decodes every captured frame to the recorded structure and re-encodes it to the same bytes', () => {
    expect(frames).toHaveLength(30);
    for (const frame of frames) {
      // Worker frames are masked with a random key, so the payload is what is compared (README).
      const decoded = decodeMsgpackMap(bytes(frame.payload_hex));
      expect(toPlain(decoded)).toEqual(fromRecorded(frame.msg));
      expect(Buffer.from(encodeMsgpack(decoded)).toString('hex')).toBe(frame.payload_hex);
    }
  });

  describe('replayed against the listener byte for byte', () => {
    let listener: MsgpackListener | undefined;
    let peer: RawWsPeer | undefined;
    afterEach(async () => {
      peer?.destroy();
      await listener?.close();
    });

    async function start(): Promise<{ authority: TestAuthority; peer: RawWsPeer }> {
      const authority = new TestAuthority();
      authority.passwords.set('tw', 'tw-pass');
      listener = await startMsgpackListener({ host: '127.0.0.1', port: 0, authority, onChannel: authority.onChannel });
      peer = await RawWsPeer.connect(listener.address.port);
      return { authority, peer };
    }

    it('answers the captured wrong-password upgrade exactly as the real master: 401 and close', async () => {
      const { authority, peer } = await start();
      peer.write(requestOf(wrongPassword));
      const answer = (await peer.readToEnd()).toString('latin1');
      const expected = wrongPassword.find((entry) => entry.kind === 'http' && entry.dir === 'm2w') as HttpEntry;
      expect(answer).toBe(expected.text);
      expect(answer).toBe('HTTP/1.1 401 Unauthorized\r\n\r\n');
      expect(authority.lookups).toEqual(['tw']);
    });

    it('plays the master side of the captured session: same frames, same responses, same routing', async () => {
      const { authority, peer } = await start();
      peer.write(requestOf(session));
      const head = await peer.readHttpHead();
      expect(head.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
      // Derived from the captured Sec-WebSocket-Key, so identical to the real master's answer.
      expect(head).toContain('Sec-WebSocket-Accept: MMh27ZUMusiJNhx/Kq6gRU2WNKg=\r\n');
      const channel = await authority.nextChannel();

      const exchange = async <T>(call: Promise<T>, sent: WsEntry | undefined, reply: WsEntry): Promise<T> => {
        const frame = await peer.readFrame();
        if (sent) expect(frame.frame.toString('hex')).toBe(sent.frame_hex);
        peer.write(bytes(reply.frame_hex));
        return await call;
      };

      await exchange(channel.print('attached'), recorded('m2w', 'print', 0), recorded('w2m', 'response', 0));
      const info = await exchange(
        channel.getWorkerInfo(),
        recorded('m2w', 'get_worker_info', 1),
        recorded('w2m', 'response', 1),
      );
      expect(toPlain(info)).toEqual(fromRecorded((recorded('w2m', 'response', 1).msg as { result: unknown }).result));

      // setBuilder: the same set_worker_settings, then a mkdir of <basedir>/hello as Buildbot's
      // attach does (Buildbot lists the basedir first; latentci does not, so ids and numbers differ).
      const builder = channel.setBuilder('hello', 'hello');
      expect((await peer.readFrame()).frame.toString('hex')).toBe(recorded('m2w', 'set_worker_settings', 2).frame_hex);
      peer.write(bytes(recorded('w2m', 'response', 2).frame_hex));
      const mkdir = decodeMsgpackMap((await peer.readFrame()).payload);
      const buildbotMkdir = recorded('m2w', 'start_command', 4).msg as Record<string, unknown>;
      expect(Object.keys(mkdir)).toEqual(Object.keys(buildbotMkdir));
      expect(toPlain(mkdir)).toEqual({ ...buildbotMkdir, command_id: mkdir.command_id, seq_number: 3 });
      for (const [seq, op] of [
        [0, 'update'],
        [1, 'complete'],
      ] as const) {
        const original = recorded('w2m', op, seq + 2).msg as Record<string, unknown>;
        peer.sendFrame(
          encodeMsgpack({ ...(fromRecorded(original) as object), command_id: mkdir.command_id, seq_number: seq }),
        );
      }
      peer.sendFrame(encodeMsgpack({ op: 'response', seq_number: 3, result: null }));
      expect((await peer.readFrame()).frame.toString('hex')).toBe(recorded('m2w', 'response', 0).frame_hex);
      expect((await peer.readFrame()).frame.toString('hex')).toBe(recorded('m2w', 'response', 1).frame_hex);
      await builder;

      await exchange(channel.print('attached'), undefined, recorded('w2m', 'response', 4));
      await exchange(channel.print('attached'), recorded('m2w', 'print', 5), recorded('w2m', 'response', 5));
      await exchange(channel.print('ping'), recorded('m2w', 'print', 6), recorded('w2m', 'response', 6));

      const updates: Array<readonly [string, unknown]> = [];
      let complete!: (failure: string | null) => void;
      const completed = new Promise<string | null>((resolve) => {
        complete = resolve;
      });
      const sink: CommandSink = { update: (batch) => updates.push(...batch), complete: (failure) => complete(failure) };
      await exchange(
        channel.startCommand({ commandId: '2', commandName: 'shell', args: shellArgs(['echo', 'hello']) }, sink),
        recorded('m2w', 'start_command', 7),
        recorded('w2m', 'response', 7),
      );
      peer.write(bytes(recorded('w2m', 'update', 4).frame_hex));
      peer.write(bytes(recorded('w2m', 'complete', 5).frame_hex));
      expect((await peer.readFrame()).frame.toString('hex')).toBe(recorded('m2w', 'response', 4).frame_hex);
      expect((await peer.readFrame()).frame.toString('hex')).toBe(recorded('m2w', 'response', 5).frame_hex);
      expect(await completed).toBeNull();
      expect(updates.map(([key]) => key)).toEqual(['header', 'stdout', 'rc', 'header', 'elapsed']);
      expect(updates[0]?.[1]).toMatch(
        /^echo hello\n in dir \/tmp\/bbcap\/worker\/hello\/build \(timeout 1200 secs\)\n/,
      );
      expect(updates.slice(1, 3)).toEqual([
        ['stdout', 'hello\n'],
        ['rc', 0],
      ]);
      expect(updates[3]?.[1]).toMatch(/^elapsedTime=[0-9.]+\n$/);

      const closed = new Promise<Error | undefined>((resolve) => channel.onClose(resolve));
      await exchange(channel.shutdown(), recorded('m2w', 'shutdown', 8), recorded('w2m', 'response', 8));
      peer.destroy();
      await closed;
    });
  });
});
