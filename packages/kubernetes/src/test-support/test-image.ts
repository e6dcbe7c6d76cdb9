import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from './docker.js';

/** A tiny busybox image imported locally (nothing can be pulled here). Shared by the tests; kept between runs. */
export const TEST_IMAGE = 'latentci-kubernetes-test-busybox:1';

/** Imports {@link TEST_IMAGE} from the host's static busybox unless it exists. */
export async function ensureTestImage(): Promise<string> {
  try {
    await docker.getImage(TEST_IMAGE).inspect();
    return TEST_IMAGE;
  } catch {
    // Not there yet: import it below.
  }
  const root = await mkdtemp(join(tmpdir(), 'kubernetes-test-image-'));
  try {
    await mkdir(join(root, 'bin'));
    await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
    for (const applet of ['sh', 'sleep', 'echo', 'cat', 'env', 'true', 'false'])
      await symlink('busybox', join(root, 'bin', applet));
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [repo, tag] = TEST_IMAGE.split(':') as [string, string];
    const options: { repo: string; tag: string; changes: string[] } = {
      repo,
      tag,
      changes: ['CMD ["/bin/sleep", "3600"]', 'ENV PATH=/bin'],
    };
    const stream = await docker.importImage(tar.stdout, options);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())),
    );
    return TEST_IMAGE;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
