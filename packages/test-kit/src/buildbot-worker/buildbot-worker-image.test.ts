import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILDBOT_WORKER_BASEDIR,
  BUILDBOT_WORKER_IMAGE,
  BUILDBOT_WORKER_INPUTS_LABEL,
  BUILDBOT_WORKER_USER,
  buildbotWorkerImageInputsHash,
  ensureBuildbotWorkerImage,
} from './buildbot-worker-image.js';

// The image's contract, as the official buildbot/buildbot-worker image has it. The login itself
// (WORKERNAME, WORKERPASS) is proven against a real Buildbot master in tests/interop.
const docker = new Docker();
const containers: Docker.Container[] = [];
let image: string;

beforeAll(async () => {
  image = await ensureBuildbotWorkerImage({ docker });
}, 1_800_000);

afterAll(async () => {
  await Promise.all(containers.map((container) => container.remove({ force: true }).catch(() => {})));
});

/** A TCP listener where containers reach the host, recording the first bytes each client sends. */
async function listenOnBridge(): Promise<{ server: Server; port: number; firstBytes: () => Promise<Buffer> }> {
  const server = createServer();
  server.listen(0, '172.17.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const firstBytes = async () => {
    const [socket] = (await once(server, 'connection')) as [Socket];
    const received = await Promise.race([
      once(socket, 'data').then(([chunk]) => chunk as Buffer),
      new Promise<Buffer>((resolve) => setTimeout(() => resolve(Buffer.alloc(0)), 2_000)),
    ]);
    socket.destroy();
    return received;
  };
  return { server, port, firstBytes };
}

async function startWorker(env: string[]): Promise<Docker.Container> {
  const container = await docker.createContainer({
    Image: image,
    Env: env,
    Labels: { 'io.latentci.test': 'buildbot-worker-image' },
  });
  containers.push(container);
  await container.start();
  return container;
}

async function exec(container: Docker.Container, command: string): Promise<string> {
  const execution = await container.exec({ Cmd: ['sh', '-c', command], AttachStdout: true, AttachStderr: true });
  const stream = await execution.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(stream, 'end');
  // Strip the multiplexing headers (8 bytes per frame).
  const raw = Buffer.concat(chunks);
  const out: Buffer[] = [];
  for (let offset = 0; offset + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(offset + 4);
    out.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(out).toString('utf8').trim();
}

describe('ensureBuildbotWorkerImage', () => {
  it('returns latentci-buildbot-worker:3.7 labelled with the hash of its inputs', async () => {
    expect(image).toBe(BUILDBOT_WORKER_IMAGE);
    const info = await docker.getImage(image).inspect();
    expect(info.Config.Labels?.[BUILDBOT_WORKER_INPUTS_LABEL]).toBe(buildbotWorkerImageInputsHash());
  });

  it('only inspects the image when it is up to date: no build runs, the image stays the same', async () => {
    const before = await docker.getImage(image).inspect();
    const progress: string[] = [];
    await expect(ensureBuildbotWorkerImage({ docker, onProgress: (line) => progress.push(line) })).resolves.toBe(image);
    expect(progress).toEqual([]);
    expect((await docker.getImage(image).inspect()).Id).toBe(before.Id);
  });

  it('declares the official image contract: user buildbot, basedir /buildbot, dumb-init running twistd --nodaemon', async () => {
    const { Config } = await docker.getImage(image).inspect();
    expect(Config.User).toBe(BUILDBOT_WORKER_USER);
    expect(Config.WorkingDir).toBe(BUILDBOT_WORKER_BASEDIR);
    expect(Config.Cmd?.[0]).toBe('/usr/bin/dumb-init');
    expect(Config.Cmd).toContain('twistd');
    expect(Config.Cmd).toContain('--nodaemon');
    expect(Config.Cmd?.at(-1)).toBe('buildbot.tac');
  });

  it('runs dumb-init as PID 1 and the worker as buildbot in /buildbot, connecting to BUILDMASTER:BUILDMASTER_PORT over PB', async () => {
    const listener = await listenOnBridge();
    try {
      const connected = listener.firstBytes();
      const container = await startWorker([
        'BUILDMASTER=172.17.0.1',
        `BUILDMASTER_PORT=${listener.port}`,
        'WORKERNAME=contract-worker',
        'WORKERPASS=contract-password',
      ]);
      // PB: the master speaks first, so the worker sends nothing that looks like HTTP.
      expect((await connected).toString('latin1')).not.toMatch(/^GET /);
      expect(await exec(container, 'tr "\\0" " " </proc/1/cmdline')).toBe(
        '/usr/bin/dumb-init twistd --pidfile= --nodaemon --python buildbot.tac',
      );
      expect(await exec(container, 'id -un; pwd; stat -c %U buildbot.tac')).toBe('buildbot\n/buildbot\nbuildbot');
      // dumb-init's child: the worker, as buildbot (minbase has no ps: read /proc).
      const worker = await exec(
        container,
        'for s in /proc/[0-9]*/status; do grep -q "^PPid:\\s*1$" "$s" && d=$(dirname "$s") && echo "$(stat -c %U "$d") $(tr "\\0" " " <"$d/cmdline")"; done',
      );
      expect(worker).toMatch(
        /^buildbot \/usr\/bin\/python3 \/usr\/bin\/twistd --pidfile= --nodaemon --python buildbot\.tac/m,
      );
    } finally {
      listener.server.close();
    }
  }, 180_000);

  it('reads BUILDMASTER_PROTOCOL: msgpack opens a WebSocket instead of PB', async () => {
    const listener = await listenOnBridge();
    try {
      const connected = listener.firstBytes();
      await startWorker([
        'BUILDMASTER=172.17.0.1',
        `BUILDMASTER_PORT=${listener.port}`,
        'BUILDMASTER_PROTOCOL=msgpack_experimental_v7',
        'WORKERNAME=contract-worker',
        'WORKERPASS=contract-password',
      ]);
      expect((await connected).toString('latin1')).toMatch(/^GET \S* HTTP\/1\.1\r\n[\s\S]*Upgrade: websocket/i);
    } finally {
      listener.server.close();
    }
  }, 180_000);
});
