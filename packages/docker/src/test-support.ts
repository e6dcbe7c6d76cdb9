// Shared by this package's tests (not exported): requests shaped like the core's, unique names,
// cleanup of everything a test file started.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createStartInstanceRequest,
  generateWorkerPassword,
  OWNER_LABELS,
  type Properties,
  type StartInstanceRequest,
} from '@latentci/core';
import Dockerode from 'dockerode';
import { engineFlavour } from './engine-flavour.js';
import { removeLabelledContainers } from './testing/cleanup.js';
import { type RecordedEvents, recordEvents } from './testing/record-events.js';

/** The engine the tests use: `DOCKER_HOST` (a Podman socket in `pnpm test:podman`), else the local socket. */
export const docker = new Dockerode();

/** Whether the test engine is Podman's Docker-compatible API (whose inspect echoes some values differently). */
export async function engineIsPodman(): Promise<boolean> {
  return (await engineFlavour(docker)) === 'podman';
}

/** That engine's address as a `dockerHost` setting. */
export const TEST_DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';

/** `<repo>/.engine/tls`, or `LATENTCI_DOCKER_TLS_DIR`. */
export const TLS_DIRECTORY =
  process.env.LATENTCI_DOCKER_TLS_DIR ??
  join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '.engine', 'tls');

/** A master id unique to one test file run; every container of the file carries it as a label. */
export function uniqueMasterId(file: string): string {
  return `latentci-docker-test-${file}-${randomBytes(4).toString('hex')}`;
}

export function uniqueWorkerName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export interface RequestOptions {
  readonly workerName: string;
  readonly masterId: string;
  readonly masterHost?: string;
  readonly masterPort?: number;
  readonly password?: string;
  readonly properties?: Properties;
}

/** A start request as the core builds it (Buildbot's name, the five variables, owner labels). */
export function startRequest(options: RequestOptions): { request: StartInstanceRequest; events: RecordedEvents } {
  const events = recordEvents();
  const request = createStartInstanceRequest({
    workerName: options.workerName,
    password: options.password ?? generateWorkerPassword(),
    masterId: options.masterId,
    master: { host: options.masterHost ?? '172.17.0.1', port: options.masterPort ?? 9989 },
    ...(options.properties ? { properties: options.properties } : {}),
    events,
  });
  return { request, events };
}

/** Removes every container labelled with `masterId` (afterAll/afterEach of a test file). */
export function cleanUpMaster(masterId: string): Promise<number> {
  return removeLabelledContainers([`${OWNER_LABELS.master}=${masterId}`], docker);
}

/** Removes images carrying the master label or the given tags; ignores those already gone. */
export async function removeImages(tags: readonly string[], masterId?: string): Promise<void> {
  const labelled = masterId
    ? await docker.listImages({ filters: { label: [`${OWNER_LABELS.master}=${masterId}`] } })
    : [];
  for (const name of [...tags, ...labelled.map((image) => image.Id)]) {
    await (docker.getImage(name).remove({ force: true }) as Promise<unknown>).catch(() => undefined);
  }
}

export const signal = () => AbortSignal.timeout(120_000);
