import { CannotSubstantiateError, FailedToSubstantiateError, isAbortError } from '@latentci/core';
import { engineMessage, isNotFound } from '@latentci/provider-utils';
import type Dockerode from 'dockerode';

/** How the image a service runs was chosen. */
export interface ResolvedImage {
  /** What the service spec names: an image id, or `<reference>@sha256:…`. */
  readonly reference: string;
  readonly how: 'digest-given' | 'local-image-id' | 'registry-digest';
}

const DIGESTED = /@sha256:[0-9a-f]{64}$/;
const UNREACHABLE =
  /connection refused|no such host|i\/o timeout|dial tcp|network is unreachable|TLS handshake|deadline exceeded/i;

async function registryDigest(docker: Dockerode, image: string, signal: AbortSignal): Promise<string> {
  const answer = (await new Promise<unknown>((resolve, reject) => {
    docker.modem.dial(
      {
        path: `/distribution/${image}/json`,
        method: 'GET',
        abortSignal: signal,
        statusCodes: { 200: true, 401: 'unauthorized', 403: 'forbidden', 404: 'not found', 500: 'server error' },
      },
      (error: unknown, data: unknown) => (error ? reject(error) : resolve(data)),
    );
  })) as { Descriptor?: { digest?: string } };
  const digest = answer.Descriptor?.digest;
  if (typeof digest !== 'string') throw new Error(`the registry answered without a digest for ${image}`);
  return digest;
}

/**
 * Swarm asks a registry for every tag, on every node. So: a digest reference runs as given; on a
 * single-node swarm a local image runs by its id (no registry involved); otherwise the registry's
 * digest is pinned now, so every node runs the same image whatever the tag points to later.
 */
export async function resolveServiceImage(
  docker: Dockerode,
  image: string,
  nodeCount: number,
  signal: AbortSignal,
): Promise<ResolvedImage> {
  if (DIGESTED.test(image)) return { reference: image, how: 'digest-given' };
  let localId: string | undefined;
  try {
    localId = (await docker.getImage(image).inspect({ abortSignal: signal } as Dockerode.ImageInspectOptions)).Id;
  } catch (error) {
    if (isAbortError(error)) throw error;
    if (!isNotFound(error)) throw error;
  }
  if (localId !== undefined && nodeCount === 1) return { reference: localId, how: 'local-image-id' };
  try {
    const digest = await registryDigest(docker, image, signal);
    return { reference: `${image}@${digest}`, how: 'registry-digest' };
  } catch (error) {
    if (isAbortError(error)) throw error;
    const detail = engineMessage(error);
    if (localId !== undefined) {
      throw new CannotSubstantiateError(
        `image ${image} is only on the manager's engine, and this swarm has ${nodeCount} nodes: the others cannot run it. Push it to a registry every node can reach and give that reference as image (the registry said: ${detail})`,
        { cause: error },
      );
    }
    if (UNREACHABLE.test(detail)) {
      throw new FailedToSubstantiateError(
        `cannot reach the registry of image ${image} to pin its digest: ${detail}. Check that the swarm manager reaches the registry`,
        { cause: error },
      );
    }
    throw new CannotSubstantiateError(
      `image ${image} is neither on the swarm manager nor in its registry (${detail}): check the image name, or push it`,
      { cause: error },
    );
  }
}
