import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { InstanceEventSink, Logger } from '@latentci/core';
import { ConfigurationError, isAbortError } from '@latentci/core';
import { createTarArchive, encodePathSegments, engineStatusCode } from '@latentci/provider-utils';
import type Dockerode from 'dockerode';
import { type BuildOutputChunk, decodeBuildOutput } from './build-output.js';
import { translateEngineError } from './engine-errors.js';
import { ImageNotFoundError } from './errors.js';
import { familiarTag, findImage, type LocalImage, pullReference, runnableReference } from './image-reference.js';

/** Everything the image step needs, already rendered. */
export interface ImagePlan {
  /** The image to run (given, or generated for a Dockerfile-only worker). */
  readonly image: string;
  /** Dockerfile text, or (with `customContext`) the path of a build-context tar. */
  readonly dockerfile?: string | undefined;
  readonly customContext: boolean;
  readonly buildargs?: Readonly<Record<string, string>> | undefined;
  readonly target?: string | undefined;
  readonly autopull: boolean;
  readonly alwaysPull: boolean;
}

export interface ImageContext {
  readonly docker: Dockerode;
  readonly dockerHost: string;
  readonly events: InstanceEventSink;
  readonly logger: Logger;
  /** Labels put on an image built here, so orphan reaping finds it. */
  readonly labels: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
}

/**
 * The name of the image built for a worker configured with a `dockerfile` but no `image`: the
 * instance name plus a hash of what it is built from, so a changed Dockerfile gives a new image and
 * a master restart reuses nothing stale.
 */
export function generatedImageName(instanceName: string, buildInput: unknown): string {
  const repository = `${instanceName}-image`.toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  const hash = createHash('sha256').update(JSON.stringify(buildInput)).digest('hex').slice(0, 12);
  return `${repository}:${hash}`;
}

async function lookUpImage(context: ImageContext, image: string): Promise<string | undefined> {
  // Fast path: one inspect by reference (the engine resolves tags, digests and ids), checked with
  // Buildbot's matching rule. Listing every image is the fallback, for what inspect cannot resolve
  // (a bare name that only exists with another tag).
  const inspected = await inspectImage(context.docker, image, context.signal);
  if (inspected && findImage(image, [inspected])) return runnableReference(image, inspected);
  const images = await context.docker.listImages({ all: false, abortSignal: context.signal });
  const found = findImage(image, images);
  if (found === undefined) return undefined;
  const reference = runnableReference(image, found);
  // Buildbot's rule takes any local tag of a tag-less name: say so when the choice was not unique.
  const candidates = images.flatMap((candidate) =>
    (candidate.RepoTags ?? []).map(familiarTag).filter((tag) => !image.includes(':') && tag.startsWith(`${image}:`)),
  );
  if (candidates.length > 1) {
    context.logger.log(
      'warn',
      `image "${image}" has no tag and ${candidates.length} local tags match (${candidates.slice(0, 10).join(', ')}${candidates.length > 10 ? ', …' : ''}): using ${reference}; give the tag to choose`,
    );
  }
  return reference;
}

/**
 * `GET /images/{name}/json`, abortable: dockerode's `Image.inspect` does not pass an AbortSignal on
 * (its other calls do), and an engine that stops answering would hold the start forever.
 */
function inspectImage(docker: Dockerode, image: string, signal: AbortSignal): Promise<LocalImage | undefined> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/images/${encodePathSegments(image, 'image')}/json`,
        method: 'GET',
        abortSignal: signal,
        statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
      } as never,
      (error: unknown, data: unknown) => {
        if (!error) resolve(data as LocalImage);
        else if (engineStatusCode(error) === 404) resolve(undefined);
        else reject(error);
      },
    );
  });
}

/** Reads a JSON-lines progress stream to its end; resolves with the `error` texts it reported. */
function followJsonStream(
  docker: Dockerode,
  stream: NodeJS.ReadableStream,
  onChunk: (chunk: Record<string, unknown>) => void,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const errors: string[] = [];
    docker.modem.followProgress(
      stream,
      (error: unknown) => (error ? reject(error) : resolve(errors)),
      (chunk: Record<string, unknown>) => {
        if (typeof chunk.error === 'string') errors.push(chunk.error);
        onChunk(chunk);
      },
    );
  });
}

/** Engine answers (4xx/5xx) during a build or pull are about the image; transport failures are not. */
function isEngineAnswer(error: unknown): boolean {
  return engineStatusCode(error) !== undefined;
}

async function buildContext(plan: ImagePlan): Promise<Buffer> {
  const dockerfile = plan.dockerfile ?? '';
  if (!plan.customContext) return createTarArchive([{ name: 'Dockerfile', content: dockerfile }]);
  try {
    return await readFile(dockerfile);
  } catch (error) {
    throw new ConfigurationError(
      `customContext is set, so dockerfile must be the path of a build-context tar (optionally gzip/bzip2/xz compressed), but "${dockerfile}" cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      { cause: error, retryable: true },
    );
  }
}

async function buildImage(plan: ImagePlan, context: ImageContext): Promise<string[]> {
  const { docker, events, logger } = context;
  logger.log('info', `Image '${plan.image}' not found, building it from scratch`);
  const tar = await buildContext(plan);
  try {
    const stream = await docker.buildImage(
      tar as unknown as NodeJS.ReadableStream,
      {
        t: plan.image,
        rm: true,
        forcerm: true,
        labels: { ...context.labels },
        ...(plan.alwaysPull ? { pull: true } : {}),
        ...(plan.target ? { target: plan.target } : {}),
        ...(plan.buildargs && Object.keys(plan.buildargs).length > 0 ? { buildargs: { ...plan.buildargs } } : {}),
        abortSignal: context.signal,
      } as unknown as Dockerode.ImageBuildOptions,
    );
    return await followJsonStream(docker, stream, (chunk) => {
      for (const line of decodeBuildOutput(chunk as BuildOutputChunk)) {
        logger.log('debug', line, { image: plan.image });
        events.progress({ phase: 'build', status: line });
      }
    });
  } catch (error) {
    if (isAbortError(error) || !isEngineAnswer(error))
      throw translateEngineError(error, context.dockerHost, `build image ${plan.image}`);
    const message = translateEngineError(error, context.dockerHost, `build image ${plan.image}`) as Error;
    events.progress({ phase: 'build', status: `ERROR: ${message.message}` });
    return [message.message];
  }
}

async function pullImage(plan: ImagePlan, context: ImageContext): Promise<string[]> {
  const { docker, events } = context;
  const { fromImage, tag } = pullReference(plan.image);
  try {
    const stream = (await (docker.createImage({
      fromImage,
      tag,
      abortSignal: context.signal,
    } as never) as unknown as Promise<unknown>)) as NodeJS.ReadableStream;
    return await followJsonStream(docker, stream, (chunk) => {
      const detail = (chunk.progressDetail ?? {}) as { current?: unknown; total?: unknown };
      const status = typeof chunk.error === 'string' ? `ERROR: ${chunk.error}` : String(chunk.status ?? '');
      events.progress({
        phase: 'pull',
        status,
        ...(typeof chunk.id === 'string' ? { id: chunk.id } : {}),
        ...(typeof detail.current === 'number' ? { current: detail.current } : {}),
        ...(typeof detail.total === 'number' ? { total: detail.total } : {}),
      });
    });
  } catch (error) {
    if (isAbortError(error) || !isEngineAnswer(error))
      throw translateEngineError(error, context.dockerHost, `pull image ${plan.image}`);
    const message = (translateEngineError(error, context.dockerHost, `pull image ${plan.image}`) as Error).message;
    events.progress({ phase: 'pull', status: `ERROR: ${message}` });
    return [message];
  }
}

/**
 * Buildbot's image step: use the image when it is on the engine; else build it from the
 * Dockerfile or custom context; then pull when `autopull` and the image is missing (or always
 * with `alwaysPull`). Throws {@link ImageNotFoundError} (not retryable) when the image is still
 * missing, with what the build or pull reported. Resolves with the reference to create the
 * container with (see `runnableReference`).
 */
export async function prepareImage(plan: ImagePlan, context: ImageContext): Promise<string> {
  const failures: string[] = [];
  const dockerHost = context.dockerHost;
  let reference: string | undefined;
  const exists = async () => {
    try {
      reference = await lookUpImage(context, plan.image);
      return reference !== undefined;
    } catch (error) {
      throw translateEngineError(error, dockerHost, 'list images');
    }
  };
  let found = await exists();
  if (!found && plan.dockerfile !== undefined) {
    const buildErrors = await buildImage(plan, context);
    failures.push(...buildErrors.map((error) => `building it failed: ${error}`));
    found = await exists();
  }
  if (plan.autopull && (!found || plan.alwaysPull)) {
    if (!found) context.logger.log('info', `Image '${plan.image}' not found, pulling from registry`);
    const pullErrors = await pullImage(plan, context);
    failures.push(...pullErrors.map((error) => `pulling it failed: ${error}`));
    found = await exists();
  }
  if (found && reference !== undefined) return reference;
  const why = failures.length > 0 ? ` ${failures.join('; ')}.` : '';
  const advice =
    plan.dockerfile !== undefined
      ? 'Fix the Dockerfile (its base image must be on the engine or pullable)'
      : plan.autopull
        ? 'Check the image name and that the engine can reach its registry, or load the image on the engine (docker load)'
        : 'Load or build the image on the engine, set autopull to pull it, or give a dockerfile';
  context.logger.log('error', `Image "${plan.image}" not found on docker host.`);
  throw new ImageNotFoundError(plan.image, `Image "${plan.image}" not found on docker host.${why} ${advice}.`);
}
