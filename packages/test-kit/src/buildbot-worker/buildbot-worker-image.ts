import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError, ConfigurationError } from '@latentci/core';
import Docker from 'dockerode';

/** The tag {@link ensureBuildbotWorkerImage} builds: buildbot-worker 3.7 on Debian bookworm. */
export const BUILDBOT_WORKER_IMAGE = 'latentci-buildbot-worker:3.7';
/** Label holding the hash of the build's inputs (script, Dockerfile, buildbot.tac). */
export const BUILDBOT_WORKER_INPUTS_LABEL = 'io.latentci.buildbot-worker.inputs';
/** The image's worker basedir (the official image's). */
export const BUILDBOT_WORKER_BASEDIR = '/buildbot';
/** The user the worker runs as (the official image's). */
export const BUILDBOT_WORKER_USER = 'buildbot';

/** The host cannot build the image: not root, no debootstrap, no docker CLI or engine. */
export class BuildbotWorkerImagePrerequisiteError extends ConfigurationError {}

/** The build itself failed (debootstrap, apt, docker import or docker build). */
export class BuildbotWorkerImageError extends BackendError {}

export interface EnsureBuildbotWorkerImageOptions {
  /** The engine checked for an up-to-date image. Default: `new Docker()` (honours `DOCKER_HOST`). */
  readonly docker?: Docker;
  /**
   * Environment of the build script, merged over `process.env`: the build runs the `docker` CLI,
   * so point `DOCKER_HOST` (and `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`) at the same engine as
   * `docker`. `LATENTCI_DEBIAN_MIRROR` picks the Debian mirror.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Each progress line of the build (debootstrap, import, build), without the `buildbot-worker-image:` prefix. */
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

const defaultDocker = lazy(() => new Docker());
const builds = new WeakMap<Docker, Promise<string>>();

/**
 * Builds {@link BUILDBOT_WORKER_IMAGE} unless the engine already has it with the same inputs, and
 * returns its tag. No registry: a Debian rootfs made by `debootstrap --variant=minbase` with
 * `buildbot-worker` and `dumb-init`, imported, then the official `buildbot/buildbot-worker` image's
 * contract on top: user `buildbot`, basedir `/buildbot`, a `buildbot.tac` reading `BUILDMASTER`,
 * `BUILDMASTER_PORT`, `BUILDMASTER_PROTOCOL`, `WORKERNAME`, `WORKERPASS`, and `dumb-init` as PID 1
 * running `twistd --nodaemon`. The first build takes minutes and needs root; later calls only
 * inspect the image. Concurrent calls share one build (a lock serialises processes).
 *
 * @throws BuildbotWorkerImagePrerequisiteError when the host cannot build it (not root, no debootstrap, no engine).
 * @throws BuildbotWorkerImageError when the build fails; the message ends with the build's last lines.
 */
export async function ensureBuildbotWorkerImage(options: EnsureBuildbotWorkerImageOptions = {}): Promise<string> {
  const docker = options.docker ?? defaultDocker();
  const tag = options.env?.LATENTCI_BUILDBOT_WORKER_IMAGE ?? BUILDBOT_WORKER_IMAGE;
  if ((await inputsLabel(docker, tag)) === buildbotWorkerImageInputsHash()) return tag;
  let build = builds.get(docker);
  if (!build) {
    build = runBuildScript(options).finally(() => builds.delete(docker));
    builds.set(docker, build);
  }
  return build;
}

/** The directory holding build-image.sh, the Dockerfile and buildbot.tac (in the sources and in dist). */
export function buildbotWorkerImageDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'buildbot-worker'), join(here, '..', '..', 'buildbot-worker')];
  const found = candidates.find((candidate) => existsSync(join(candidate, 'build-image.sh')));
  if (!found) {
    throw new BuildbotWorkerImagePrerequisiteError(
      `@latentci/test-kit is missing its buildbot-worker build files (looked in ${candidates.join(', ')}); reinstall the package`,
    );
  }
  return found;
}

/** The hash build-image.sh labels the image with: sha256 of its three inputs, concatenated. */
export function buildbotWorkerImageInputsHash(): string {
  const directory = buildbotWorkerImageDirectory();
  const digest = createHash('sha256');
  for (const file of ['build-image.sh', 'Dockerfile', 'buildbot.tac'])
    digest.update(readFileSync(join(directory, file)));
  return digest.digest('hex');
}

function runBuildScript(options: EnsureBuildbotWorkerImageOptions): Promise<string> {
  const script = join(buildbotWorkerImageDirectory(), 'build-image.sh');
  options.signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so an abort stops debootstrap and docker too, not only bash.
      detached: true,
    });
    const abort = () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {}
      }
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-16_384);
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) options.onProgress?.(line.replace(/^buildbot-worker-image: /, ''));
    });
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', abort);
      reject(new BuildbotWorkerImageError(`could not run ${script}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', abort);
      if (options.signal?.aborted) return reject(options.signal.reason);
      const tail = stderr.trim().split('\n').slice(-20).join('\n');
      if (code === 0) return resolve(stdout.trim().split('\n').pop() ?? BUILDBOT_WORKER_IMAGE);
      if (code === 3)
        return reject(new BuildbotWorkerImagePrerequisiteError(tail.replace(/^buildbot-worker-image: /, '')));
      reject(
        new BuildbotWorkerImageError(
          `building the buildbot-worker image failed (bash ${script} exited with ${code}); run it by hand to see the whole log:\n${tail}`,
        ),
      );
    });
  });
}

async function inputsLabel(docker: Docker, tag: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(tag).inspect();
    return info.Config?.Labels?.[BUILDBOT_WORKER_INPUTS_LABEL] ?? '';
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw new BuildbotWorkerImageError(
      `could not inspect ${tag} on the Docker engine: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

function lazy<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}
