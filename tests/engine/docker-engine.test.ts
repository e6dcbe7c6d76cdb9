import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';

// Proves the test suite runs against a real Docker engine. It fails (never skips) when no engine
// answers: `.ci/run` starts one with scripts/docker-engine.sh.
const docker = new Docker();
const image = 'latentci-engine-check:1';
const workspace = mkdtempSync(join(tmpdir(), 'latentci-engine-check-'));
const created: Docker.Container[] = [];

afterAll(async () => {
  for (const container of created) await container.remove({ force: true }).catch(() => {});
  await docker
    .getImage(image)
    .remove({ force: true })
    .catch(() => {});
  rmSync(workspace, { recursive: true, force: true });
});

/** Docker multiplexes stdout/stderr in 8-byte-header frames when there is no TTY. */
function demultiplex(buffer: Buffer): string {
  let text = '';
  for (let offset = 0; offset + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset + 4);
    text += buffer.subarray(offset + 8, offset + 8 + size).toString();
    offset += 8 + size;
  }
  return text;
}

describe('the Docker engine the tests use', () => {
  it('answers a ping (start one with scripts/docker-engine.sh)', async () => {
    const answer = await docker.ping().catch((error: unknown) => {
      throw new Error(`no Docker engine reachable: ${String(error)}; run \`bash scripts/docker-engine.sh\``);
    });
    expect(String(answer)).toBe('OK');
  });

  it('runs a container from a locally imported busybox image and returns its output', async () => {
    expect(existsSync('/bin/busybox'), 'the static busybox is missing: apt-get install busybox-static').toBe(true);
    const rootfs = join(workspace, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
    symlinkSync('busybox', join(rootfs, 'bin/sh'));
    const tar = spawn('tar', ['-c', '-C', rootfs, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const importStream = await docker.importImage(tar.stdout, { repo: 'latentci-engine-check', tag: '1' });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(importStream, (error) => (error ? reject(error) : resolve())),
    );

    const container = await docker.createContainer({
      Image: image,
      Cmd: ['/bin/sh', '-c', 'echo "hello from $NAME"'],
      Env: ['NAME=busybox'],
    });
    created.push(container);
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;

    expect(exit.StatusCode).toBe(0);
    expect(demultiplex(logs)).toBe('hello from busybox\n');
  });
});
