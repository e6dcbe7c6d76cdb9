// Shared by this package's tests (not exported): start requests shaped like the core's, unique
// names, and removal of everything a test file created on a swarm.
import { randomBytes } from 'node:crypto';
import {
  createStartInstanceRequest,
  generateWorkerPassword,
  OWNER_LABELS,
  type Properties,
  type StartInstanceRequest,
} from '@latentci/core';
import { type RecordedEvents, recordEvents } from '@latentci/docker/testing';
import type Docker from 'dockerode';
import { SWARM_HOST_ADDRESS } from './test-cluster.js';

export function uniqueMasterId(file: string): string {
  return `latentci-swarm-test-${file}-${randomBytes(4).toString('hex')}`;
}

export function uniqueWorkerName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export function startRequest(options: {
  readonly workerName: string;
  readonly masterId: string;
  readonly masterPort?: number;
  readonly password?: string;
  readonly properties?: Properties;
}): { request: StartInstanceRequest; events: RecordedEvents } {
  const events = recordEvents();
  const request = createStartInstanceRequest({
    workerName: options.workerName,
    password: options.password ?? generateWorkerPassword(),
    masterId: options.masterId,
    master: { host: SWARM_HOST_ADDRESS, port: options.masterPort ?? 9989 },
    ...(options.properties ? { properties: options.properties } : {}),
    events,
  });
  return { request, events };
}

/** Removes every service labelled with `masterId` on a swarm manager (afterAll of a test file). */
export async function removeServicesOf(manager: Docker, masterId: string): Promise<void> {
  const services = await manager.listServices({ filters: { label: [`${OWNER_LABELS.master}=${masterId}`] } });
  for (const service of services) {
    await (manager.getService(service.ID).remove() as Promise<unknown>).catch(() => undefined);
  }
}

export const signal = () => AbortSignal.timeout(120_000);

/** Waits until `check` returns a value (polls every 250 ms), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
