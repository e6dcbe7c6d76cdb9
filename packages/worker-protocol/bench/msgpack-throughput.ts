import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as referenceDecode } from '@msgpack/msgpack';
import { decodeMsgpackMap, encodeMsgpack } from '../src/msgpack/msgpack-codec.js';
import { startMsgpackListener } from '../src/msgpack/msgpack-listener.js';
import { runCommand, shellArgs, TestAuthority } from '../src/msgpack/testing/test-authority.js';
import { startRealWorker } from '../src/testing/real-worker.js';

export interface MsgpackFigure {
  readonly figure: string;
  readonly unit: string;
  readonly median: number;
  readonly p95: number;
  readonly floor: { readonly median: number; readonly p95: number };
  readonly ratio: number;
  readonly note: string;
}

function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = sorted[Math.floor(position)] as number;
  const upper = sorted[Math.ceil(position)] as number;
  return lower + (upper - lower) * (position - Math.floor(position));
}

function compare(figure: string, ours: readonly number[], floor: readonly number[], note: string): MsgpackFigure {
  const median = quantile(ours, 0.5);
  const floorMedian = quantile(floor, 0.5);
  return {
    figure,
    unit: 'ms',
    median,
    p95: quantile(ours, 0.95),
    floor: { median: floorMedian, p95: quantile(floor, 0.95) },
    ratio: median / floorMedian,
    note,
  };
}

/** A worker `update` as the 3.7 worker sends a full 64 KiB output buffer: text, newline indexes, line times. */
function fullUpdateFrame(): Uint8Array {
  const line = `${'x'.repeat(79)}\n`;
  const lines = Math.floor(65_536 / line.length);
  const text = line.repeat(lines);
  const indexes = Array.from({ length: lines }, (_, index) => index * line.length + line.length - 1);
  const times = Array.from({ length: lines }, (_, index) => 1_796_321_604.09 + index / 1e6);
  return encodeMsgpack({ op: 'update', args: [['stdout', [text, indexes, times]]], command_id: '7', seq_number: 12 });
}

function timeEach(samples: number, action: () => void): number[] {
  const times: number[] = [];
  for (let index = 0; index < samples; index++) {
    const t0 = performance.now();
    action();
    times.push(performance.now() - t0);
  }
  return times;
}

async function timeAsync(samples: number, action: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let index = 0; index < samples; index++) {
    const t0 = performance.now();
    await action();
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * msgpack figures: the frame decoder against @msgpack/msgpack (the peer) on a full output
 * update; and, through a real worker, 8 MiB of shell output and a 10 MiB download/upload, each
 * against the same work done locally without the protocol (the floor).
 */
export async function measureMsgpack({ quick }: { quick: boolean }): Promise<MsgpackFigure[]> {
  const figures: MsgpackFigure[] = [];
  const frame = fullUpdateFrame();
  const rounds = quick ? 20 : 200;
  timeEach(20, () => decodeMsgpackMap(frame));
  timeEach(20, () => referenceDecode(frame));
  figures.push(
    compare(
      'decode a 64 KiB output update',
      timeEach(rounds, () => decodeMsgpackMap(frame)),
      timeEach(rounds, () => referenceDecode(frame)),
      'peer = @msgpack/msgpack decode of the same frame',
    ),
  );

  const authority = new TestAuthority();
  authority.passwords.set('bench', 'bench-pass-31415');
  const listener = await startMsgpackListener({
    host: '127.0.0.1',
    port: 0,
    authority,
    onChannel: authority.onChannel,
  });
  const worker = await startRealWorker({
    protocol: 'msgpack',
    host: '127.0.0.1',
    port: listener.address.port,
    name: 'bench',
    password: 'bench-pass-31415',
  });
  const scratch = mkdtempSync(join(tmpdir(), 'latentci-msgpack-bench-'));
  try {
    const channel = await authority.nextChannel(60_000);
    await channel.setBuilder('bench', 'bench');
    const samples = quick ? 1 : 5;

    const lines = 8 * 1024;
    const script = `awk 'BEGIN { pad = sprintf("%1014s", ""); for (i = 0; i < ${lines}; i++) printf "%08d %s\\n", i, pad }'`;
    const output = await timeAsync(samples, async () => {
      const done = await runCommand(channel, 'shell', shellArgs(['sh', '-c', script], { logEnviron: false })).result;
      if (done.stdout.length !== lines * 1024) throw new Error(`bench: got ${done.stdout.length} bytes of output`);
    });
    const outputFloor = await timeAsync(samples, async () => {
      execFileSync('sh', ['-c', `${script} > /dev/null`]);
    });
    figures.push(
      compare(
        '8 MiB of shell output to the master',
        output,
        outputFloor,
        'floor = the same command writing to /dev/null',
      ),
    );

    const content = randomBytes(10 * 1024 * 1024);
    const local = join(scratch, 'content.bin');
    writeFileSync(local, content);
    const download = await timeAsync(samples, async () => {
      let offset = 0;
      const reader = {
        read(maxLength: number) {
          const block = content.subarray(offset, offset + maxLength);
          offset += block.length;
          return block;
        },
        close() {},
      };
      const args = { workdir: 'build', workerdest: 'content.bin', maxsize: null, blocksize: 16_384, mode: null };
      const done = await runCommand(channel, 'downloadFile', args, { reader }).result;
      if (done.rc !== 0) throw new Error(`bench: download rc ${String(done.rc)}`);
    });
    const upload = await timeAsync(samples, async () => {
      let size = 0;
      const writer = {
        write(data: Uint8Array) {
          size += data.length;
        },
        close() {},
      };
      const args = { workdir: 'build', workersrc: 'content.bin', maxsize: null, blocksize: 16_384, keepstamp: false };
      const done = await runCommand(channel, 'uploadFile', args, { writer }).result;
      if (done.rc !== 0 || size !== content.length)
        throw new Error(`bench: upload rc ${String(done.rc)}, ${size} bytes`);
    });
    const copyFloor = await timeAsync(samples, async () => {
      copyFileSync(local, join(scratch, 'copy.bin'));
    });
    figures.push(
      compare('download a 10 MiB file to the worker (16 KiB blocks)', download, copyFloor, 'floor = local file copy'),
    );
    figures.push(
      compare('upload a 10 MiB file from the worker (16 KiB blocks)', upload, copyFloor, 'floor = local file copy'),
    );
    await channel.shutdown();
    await worker.exited;
  } finally {
    await worker.stop();
    await listener.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return figures;
}
