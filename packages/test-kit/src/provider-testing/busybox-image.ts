import { spawn } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';

const APPLETS = ['sh', 'nc', 'sleep', 'echo', 'cat', 'env', 'true', 'false'];

async function hostBusybox(): Promise<string> {
  for (const path of ['/bin/busybox', '/usr/bin/busybox']) {
    try {
      await access(path);
      return path;
    } catch {
      // Try the next place.
    }
  }
  throw new Error('no static busybox on this machine (/bin/busybox or /usr/bin/busybox): install busybox-static');
}

/**
 * A tiny image (`name`, `repo:tag`) imported from the host's static busybox unless the engine has
 * it (nothing needs to be pulled): `/bin` holds sh, nc, sleep, echo, cat, env, true and false;
 * default command `sleep 3600`. Kept between runs; resolves to `name`.
 */
export async function ensureBusyboxImage(docker: Docker, name: string): Promise<string> {
  try {
    await docker.getImage(name).inspect();
    return name;
  } catch {
    // Not there yet: import it below.
  }
  const root = await mkdtemp(join(tmpdir(), 'latentci-busybox-image-'));
  try {
    await mkdir(join(root, 'bin'));
    await copyFile(await hostBusybox(), join(root, 'bin', 'busybox'));
    for (const applet of APPLETS) await symlink('busybox', join(root, 'bin', applet));
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const colon = name.lastIndexOf(':');
    const tagged = colon > name.lastIndexOf('/');
    const repo = tagged ? name.slice(0, colon) : name;
    const tag = tagged ? name.slice(colon + 1) : 'latest';
    const options: { repo: string; tag: string; changes: string[] } = {
      repo,
      tag,
      changes: ['CMD ["/bin/sleep", "3600"]', 'ENV PATH=/bin'],
    };
    const stream = await docker.importImage(tar.stdout, options);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())),
    );
    return name;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
