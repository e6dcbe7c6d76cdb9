import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { createTarArchive, type TarEntry } from '../tar-archive.js';

/** The tag {@link importBusyboxImage} gives by default. */
export const BUSYBOX_IMAGE = 'latentci-docker-busybox:1';

export interface ImportBusyboxImageOptions {
  /** Engine to import into. Default: `new Docker()`. */
  readonly docker?: Dockerode;
  /** Tag of the image. Default {@link BUSYBOX_IMAGE}. */
  readonly tag?: string;
  /** A static busybox binary. Default `$LATENTCI_BUSYBOX`, else `/bin/busybox`. */
  readonly busyboxPath?: string;
  /** Labels of the image. */
  readonly labels?: Readonly<Record<string, string>>;
}

const imports = new Map<string, Promise<string>>();

/**
 * Imports a minimal busybox root filesystem as an image (no registry needed) unless the tag is
 * already on the engine, and returns the tag. Use it as the `FROM` of test Dockerfiles or as a
 * plain image for containers that run a `command`.
 */
export function importBusyboxImage(options: ImportBusyboxImageOptions = {}): Promise<string> {
  const docker = options.docker ?? new Dockerode();
  const tag = options.tag ?? BUSYBOX_IMAGE;
  let pending = imports.get(tag);
  if (!pending) {
    pending = importOnce(docker, tag, options);
    imports.set(tag, pending);
    pending.catch(() => imports.delete(tag));
  }
  return pending;
}

async function importOnce(docker: Dockerode, tag: string, options: ImportBusyboxImageOptions): Promise<string> {
  const existing = await docker.listImages({ filters: { reference: [tag] } });
  if (existing.length > 0) return tag;
  const busyboxPath = options.busyboxPath ?? process.env.LATENTCI_BUSYBOX ?? '/bin/busybox';
  const busybox = await readFile(busyboxPath);
  const { stdout } = await promisify(execFile)(busyboxPath, ['--list']);
  const entries: TarEntry[] = [
    { name: 'bin', type: 'directory' },
    { name: 'bin/busybox', content: busybox, mode: 0o755 },
    ...stdout
      .split('\n')
      .filter((applet) => applet.length > 0 && applet !== 'busybox' && !applet.includes('/'))
      .map((applet): TarEntry => ({ name: `bin/${applet}`, type: 'symlink', linkTarget: 'busybox' })),
    { name: 'tmp', type: 'directory', mode: 0o1777 },
    { name: 'etc', type: 'directory' },
    { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
    { name: 'etc/group', content: 'root:x:0:\n' },
    { name: 'root', type: 'directory', mode: 0o700 },
    { name: 'proc', type: 'directory' },
    { name: 'sys', type: 'directory' },
    { name: 'dev', type: 'directory' },
  ];
  const changes = [
    'ENV PATH=/bin',
    'CMD ["/bin/sh"]',
    ...Object.entries(options.labels ?? {}).map(([k, v]) => `LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`),
  ];
  const stream = (await (docker.importImage(
    createTarArchive(entries) as unknown as NodeJS.ReadableStream,
    // The tag travels inside `repo` (the Engine API allows it): Podman ignores a separate `tag`.
    { repo: withDefaultTag(tag), changes } as never,
  ) as unknown as Promise<unknown>)) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: unknown) => (error ? reject(error) : resolve())),
  );
  return tag;
}

function withDefaultTag(tag: string): string {
  return tag.lastIndexOf(':') > tag.lastIndexOf('/') ? tag : `${tag}:latest`;
}
