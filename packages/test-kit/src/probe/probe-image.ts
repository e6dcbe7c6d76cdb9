import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BackendError, ConfigurationError } from '@latentci/core';
import Docker from 'dockerode';
import { TEST_KIT_VERSION } from '../version.js';
import { PROBE_SCRIPT } from './probe-script.js';
import { createTar, type TarEntry } from './tar.js';

/** Repository of the probe image. */
export const PROBE_IMAGE_REPOSITORY = 'latentci-probe';
/** The probe image's tag: `latentci-probe:<test-kit version>`. */
export const PROBE_IMAGE = `${PROBE_IMAGE_REPOSITORY}:${TEST_KIT_VERSION}`;
/** Where the probe image keeps its entrypoint script. */
export const PROBE_ENTRYPOINT = '/latentci/probe.sh';
/** Label holding a digest of the image's content; a stale image (other busybox, other script) is rebuilt. */
export const PROBE_DIGEST_LABEL = 'io.latentci.probe.digest';
/** Default location of Debian's static busybox (`apt-get install busybox-static`). */
export const DEFAULT_BUSYBOX_PATH = '/bin/busybox';

/** The host has no static busybox to build the probe image from. */
export class BusyboxNotFoundError extends ConfigurationError {}

/** The Docker engine refused to import the probe image. */
export class ProbeImageError extends BackendError {}

export interface EnsureProbeImageOptions {
  /** The engine to build on. Default: `new Docker()` (honours `DOCKER_HOST`). */
  readonly docker?: Docker;
  /**
   * Environment variables baked into the image, e.g. `{ PROBE_EXIT_BEFORE_ATTACH: 'boom' }`: for
   * backends whose provider cannot set a container's environment. Gives a variant tag
   * `latentci-probe:<version>-<hash>`.
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** The static busybox binary. Default: `$LATENTCI_BUSYBOX`, else `/bin/busybox`. */
  readonly busyboxPath?: string;
  readonly signal?: AbortSignal;
}

/**
 * The tag {@link ensureProbeImage} gives an image with `environment` baked in, computed without
 * building anything: `latentci-probe:<version>`, or `latentci-probe:<version>-<hash>` with knobs.
 * For settings that must be known synchronously (the conformance backend's `workerSettings`).
 */
export function probeImageTag(environment: Readonly<Record<string, string>> = {}): string {
  const valid = validateEnvironment(environment);
  if (Object.keys(valid).length === 0) return PROBE_IMAGE;
  return `${PROBE_IMAGE}-${hash(JSON.stringify(valid)).slice(0, 12)}`;
}

const defaultDocker = lazy(() => new Docker());
const builds = new WeakMap<Docker, Map<string, Promise<string>>>();

/**
 * Builds the probe worker image on the engine unless it is already there, and returns its tag.
 * No registry is involved: the image is a `docker import` of a root filesystem made in memory
 * from the host's static busybox and the probe script ({@link PROBE_SCRIPT}).
 *
 * Safe to call concurrently, from one process (calls share one build) and from several (a lock
 * directory in the temp dir serializes builds; later callers reuse the image).
 *
 * @throws BusyboxNotFoundError when the host has no static busybox (`apt-get install busybox-static`).
 * @throws ProbeImageError when the engine refuses the import.
 */
export async function ensureProbeImage(options: EnsureProbeImageOptions = {}): Promise<string> {
  const docker = options.docker ?? defaultDocker();
  const environment = validateEnvironment(options.environment ?? {});
  const busyboxPath = options.busyboxPath ?? process.env.LATENTCI_BUSYBOX ?? DEFAULT_BUSYBOX_PATH;
  const tag = probeImageTag(environment);
  let perEngine = builds.get(docker);
  if (!perEngine) {
    perEngine = new Map();
    builds.set(docker, perEngine);
  }
  const key = `${tag}\0${busyboxPath}`;
  let build = perEngine.get(key);
  if (!build) {
    build = buildOnce(docker, tag, environment, busyboxPath, options.signal);
    perEngine.set(key, build);
    build.catch(() => perEngine.delete(key));
  }
  return build;
}

async function buildOnce(
  docker: Docker,
  tag: string,
  environment: Record<string, string>,
  busyboxPath: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const busybox = await readStaticBusybox(busyboxPath);
  const applets = await listApplets(busyboxPath);
  const digest = hash(
    JSON.stringify({ version: TEST_KIT_VERSION, script: PROBE_SCRIPT, environment: sorted(environment), applets }) +
      hash(busybox),
  );
  if ((await imageDigest(docker, tag)) === digest) return tag;

  const lock = join(tmpdir(), `latentci-probe-${hash(tag).slice(0, 16)}.lock`);
  const outcome = await acquireLock(lock, signal, async () => (await imageDigest(docker, tag)) === digest);
  if (outcome === 'built-elsewhere') return tag;
  try {
    if ((await imageDigest(docker, tag)) === digest) return tag;
    signal?.throwIfAborted();
    await importImage(docker, tag, digest, environment, createTar(rootFilesystem(busybox, applets)));
    return tag;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function rootFilesystem(busybox: Buffer, applets: readonly string[]): TarEntry[] {
  const entries: TarEntry[] = [
    { type: 'directory', path: 'bin' },
    { type: 'file', path: 'bin/busybox', content: busybox, mode: 0o755 },
  ];
  for (const applet of applets) {
    if (applet !== 'busybox') entries.push({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  }
  entries.push(
    { type: 'directory', path: 'latentci' },
    { type: 'file', path: PROBE_ENTRYPOINT.slice(1), content: PROBE_SCRIPT, mode: 0o755 },
    { type: 'directory', path: 'tmp', mode: 0o1777 },
    { type: 'directory', path: 'etc' },
    {
      type: 'file',
      path: 'etc/passwd',
      content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    },
    { type: 'file', path: 'etc/group', content: 'root:x:0:\nnogroup:x:65534:\n' },
    { type: 'directory', path: 'root', mode: 0o700 },
    { type: 'directory', path: 'proc' },
    { type: 'directory', path: 'sys' },
    { type: 'directory', path: 'dev' },
  );
  return entries;
}

async function importImage(
  docker: Docker,
  tag: string,
  digest: string,
  environment: Record<string, string>,
  tar: Buffer,
): Promise<void> {
  const changes = [
    `ENTRYPOINT ["${PROBE_ENTRYPOINT}"]`,
    'ENV PATH=/bin',
    'WORKDIR /',
    `LABEL ${PROBE_DIGEST_LABEL}=${digest} io.latentci.probe.version=${TEST_KIT_VERSION}`,
    ...Object.entries(environment).map(([key, value]) => `ENV ${key}="${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`),
  ];
  try {
    // The tag travels inside `repo` (the Engine API allows it): Podman ignores a separate `tag`.
    const stream = await docker.importImage(Readable.from([tar]), {
      repo: tag,
      changes,
      message: 'latentci probe worker (busybox-static)',
    });
    const output = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, result: unknown[]) =>
        error ? reject(error) : resolve(result as { error?: string }[]),
      ),
    );
    const failure = output.find((entry) => entry.error !== undefined || entry.errorDetail !== undefined);
    if (failure) throw new Error(failure.errorDetail?.message ?? failure.error ?? 'import failed');
  } catch (error) {
    throw new ProbeImageError(
      `could not import the probe image ${tag}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

async function imageDigest(docker: Docker, tag: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config?.Labels?.[PROBE_DIGEST_LABEL] ?? '';
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw new ProbeImageError(
      `could not inspect ${tag} on the Docker engine: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** A mkdir lock: atomic across processes. A lock older than two minutes is taken to be stale. */
async function acquireLock(
  path: string,
  signal: AbortSignal | undefined,
  builtElsewhere: () => Promise<boolean>,
): Promise<'acquired' | 'built-elsewhere'> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    signal?.throwIfAborted();
    try {
      await mkdir(path);
      return 'acquired';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > 120_000) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (await builtElsewhere()) return 'built-elsewhere';
    if (Date.now() > deadline) {
      throw new ProbeImageError(`timed out waiting for another process to build the probe image (lock ${path})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function readStaticBusybox(path: string): Promise<Buffer> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    throw new BusyboxNotFoundError(
      `the probe image is built from a static busybox, but ${path} is missing (${(error as Error).message}); install it with \`apt-get install busybox-static\` (or set LATENTCI_BUSYBOX to a static busybox binary)`,
      { cause: error },
    );
  }
  if (!isStaticElf(content)) {
    throw new BusyboxNotFoundError(
      `${path} is not a statically linked ELF binary, so it cannot run alone in the probe image; install the static build with \`apt-get install busybox-static\` (or set LATENTCI_BUSYBOX to a static busybox binary)`,
    );
  }
  return content;
}

/** An ELF file without a PT_INTERP program header (no dynamic loader needed). */
export function isStaticElf(content: Buffer): boolean {
  if (content.length < 64 || content.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = content[4] === 2;
  const little = content[5] === 1;
  const u16 = (offset: number) => (little ? content.readUInt16LE(offset) : content.readUInt16BE(offset));
  const u32 = (offset: number) => (little ? content.readUInt32LE(offset) : content.readUInt32BE(offset));
  const programHeaders = is64
    ? Number(little ? content.readBigUInt64LE(0x20) : content.readBigUInt64BE(0x20))
    : u32(0x1c);
  const entrySize = u16(is64 ? 0x36 : 0x2a);
  const count = u16(is64 ? 0x38 : 0x2c);
  for (let index = 0; index < count; index++) {
    const offset = programHeaders + index * entrySize;
    if (offset + 4 > content.length) return false;
    if (u32(offset) === 3) return false;
  }
  return true;
}

const FALLBACK_APPLETS = ['sh', 'nc', 'sleep', 'awk', 'tr', 'cat', 'env', 'ls', 'ps', 'kill', 'echo', 'printf', 'wget'];

async function listApplets(busyboxPath: string): Promise<string[]> {
  try {
    const { stdout } = await promisify(execFile)(busyboxPath, ['--list'], { timeout: 10_000 });
    const applets = stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^[A-Za-z0-9_.[-]+$/.test(line) && line !== '[' && line !== '[[');
    return applets.length > 0 ? [...new Set(applets)].sort() : FALLBACK_APPLETS;
  } catch {
    return FALLBACK_APPLETS;
  }
}

function validateEnvironment(environment: Readonly<Record<string, string>>): Record<string, string> {
  for (const [key, value] of Object.entries(environment)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new ConfigurationError(`probe image environment: "${key}" is not a valid variable name`);
    }
    if (typeof value !== 'string' || /[\n\r]/.test(value)) {
      throw new ConfigurationError(`probe image environment: ${key} must be a single-line string`);
    }
  }
  return sorted(environment);
}

function sorted(environment: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function hash(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function lazy<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}
