import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { HYPER_SIZES, isHyperSize, SIZE_LABEL, SIZE_RESOURCES } from '../hyper-sizes.js';
import { engineError, engineStatus } from './engine-error.js';
import { HyperHttpError } from './plain-text-error.js';
import type { SimulatorResponse } from './simulator-response.js';

/** Engine label marking the containers of one simulator (its "account"); never shown to clients. */
export const TENANT_LABEL = 'io.latentci.hyper-simulator';

/** Hyper's documented container-name rule. */
const NAME_PATTERN = /^\/?[a-zA-Z0-9_-]+$/;

/** The `Config` fields of a v1.23 create body that reach the engine. `HostConfig` is Hyper's, see {@link HyperEngine.create}. */
const CONFIG_FIELDS = [
  'Hostname',
  'Domainname',
  'User',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'ExposedPorts',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'Env',
  'Cmd',
  'Entrypoint',
  'Image',
  'WorkingDir',
  'NetworkDisabled',
  'StopSignal',
] as const;

/** Docker's `BoolValue`: anything but ``, `0`, `no`, `false`, `none` (any case) is true. */
export function boolParameter(value: string | null): boolean {
  if (value === null) return false;
  return !['', '0', 'no', 'false', 'none'].includes(value.toLowerCase());
}

/** Parses a `filters` parameter: v1.23's `{"key":["v"]}` or the later `{"key":{"v":true}}`. */
export function parseFilters(raw: string | null): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  if (raw === null || raw === '') return filters;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HyperHttpError(400, `Bad parameter: invalid filters ${raw}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HyperHttpError(400, `Bad parameter: invalid filters ${raw}`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) filters.set(key, value);
    else if (value && typeof value === 'object' && !Array.isArray(value)) filters.set(key, Object.keys(value));
    else throw new HyperHttpError(400, `Bad parameter: invalid filter ${key}`);
  }
  return filters;
}

function withoutTenantLabel(labels: unknown): Record<string, string> {
  const copy: Record<string, string> = { ...((labels ?? {}) as Record<string, string>) };
  delete copy[TENANT_LABEL];
  return copy;
}

/**
 * The Docker side of the simulator: one "Hyper account" on a shared engine. Its containers carry
 * {@link TENANT_LABEL} and engine names `hypersim-<id>-<name>`, so clients see only their own
 * containers under the names they chose, and parallel simulators never collide.
 */
export class HyperEngine {
  readonly #docker: Dockerode;
  readonly #tenant: string;
  readonly #prefix: string;

  constructor(docker: Dockerode, tenant: string) {
    this.#docker = docker;
    this.#tenant = tenant;
    this.#prefix = `hypersim-${tenant}-`;
  }

  /** Maps engine names back to client names in any text (error messages). */
  rename = (text: string): string => text.split(this.#prefix).join('');

  #engineName(name: string): string {
    return this.#prefix + name.replace(/^\//, '');
  }

  #clientName(engineName: string): string {
    const bare = engineName.replace(/^\//, '');
    return `/${bare.startsWith(this.#prefix) ? bare.slice(this.#prefix.length) : bare}`;
  }

  async #call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw engineError(error, this.rename);
    }
  }

  /** Every container of this account, running or not, as the engine lists them. */
  async tenantContainers(): Promise<Dockerode.ContainerInfo[]> {
    return this.#call(() =>
      this.#docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${TENANT_LABEL}=${this.#tenant}`] }),
      }),
    );
  }

  /** Resolves `{id}` like Docker: full id, name (with or without `/`), or a unique id prefix. */
  async resolve(reference: string): Promise<Dockerode.Container> {
    const containers = await this.tenantContainers();
    const name = `/${this.#engineName(reference)}`;
    const found =
      containers.find((container) => container.Id === reference) ??
      containers.find((container) => container.Names.includes(name)) ??
      (() => {
        const matches = containers.filter((container) => reference.length > 0 && container.Id.startsWith(reference));
        if (matches.length > 1)
          throw new HyperHttpError(409, `Conflict: multiple IDs found with provided prefix: ${reference}`);
        return matches[0];
      })();
    if (!found) throw new HyperHttpError(404, `No such container: ${reference}`);
    return this.#docker.getContainer(found.Id);
  }

  /** `POST /containers/create?name=`: checks Hyper's rules, then creates the container on the engine. */
  async create(query: URLSearchParams, body: unknown): Promise<SimulatorResponse> {
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length === 0) {
      throw new HyperHttpError(500, 'Config cannot be empty in order to create a container');
    }
    const config = body as Record<string, unknown>;
    const name = query.get('name') ?? `container-${randomBytes(3).toString('hex')}`;
    if (!NAME_PATTERN.test(name)) {
      throw new HyperHttpError(400, `Bad parameter: invalid container name (${name}), only [a-zA-Z0-9_-] are allowed`);
    }
    const labels = (config.Labels ?? {}) as Record<string, unknown>;
    if (typeof labels !== 'object' || Array.isArray(labels))
      throw new HyperHttpError(400, 'Bad parameter: Labels must be an object');
    const size = labels[SIZE_LABEL];
    if (size === undefined) {
      throw new HyperHttpError(
        400,
        `Bad parameter: the container size label ${SIZE_LABEL} is required (one of ${HYPER_SIZES.join(', ')})`,
      );
    }
    if (!isHyperSize(size)) {
      throw new HyperHttpError(
        400,
        `Bad parameter: invalid container size ${String(size)} (one of ${HYPER_SIZES.join(', ')})`,
      );
    }
    const image = config.Image;
    if (typeof image !== 'string' || image.length === 0)
      throw new HyperHttpError(400, 'Bad parameter: Image is required');

    const engineBody: Record<string, unknown> = {};
    for (const field of CONFIG_FIELDS) if (config[field] !== undefined) engineBody[field] = config[field];
    engineBody.Labels = { ...labels, 'sh.hyper.fip': '', [TENANT_LABEL]: this.#tenant };
    // Hyper ignored the resource fields of HostConfig: the size decides CPUs and memory.
    const resources = SIZE_RESOURCES[size];
    engineBody.HostConfig = { Memory: resources.memoryMegabytes * 1024 * 1024, CpuShares: 1024 * resources.cpus };

    const container = await this.#call(() =>
      this.#docker.createContainer({ ...engineBody, name: this.#engineName(name) } as Dockerode.ContainerCreateOptions),
    );
    return { status: 201, json: { Id: container.id, Warnings: [] } };
  }

  /** `GET /containers/json`: the account's containers, with Hyper's prefix-matching `name` filter. */
  async list(query: URLSearchParams): Promise<SimulatorResponse> {
    const filters = parseFilters(query.get('filters'));
    const nameFilters = filters.get('name') ?? [];
    filters.delete('name');
    filters.set('label', [...(filters.get('label') ?? []), `${TENANT_LABEL}=${this.#tenant}`]);
    const limit = Number.parseInt(query.get('limit') ?? '-1', 10);
    const containers = await this.#call(() =>
      this.#docker.listContainers({
        all: boolParameter(query.get('all')) || limit > 0,
        size: boolParameter(query.get('size')),
        filters: JSON.stringify(Object.fromEntries(filters)),
      }),
    );
    const listed = containers
      .map((container) => ({
        ...container,
        Names: container.Names.map((name) => this.#clientName(name)),
        Labels: withoutTenantLabel(container.Labels),
      }))
      .filter(
        (container) =>
          nameFilters.length === 0 ||
          container.Names.some((name) =>
            nameFilters.some((filter) => name.slice(1).startsWith(filter.replace(/^\//, ''))),
          ),
      );
    return { status: 200, json: limit > 0 ? listed.slice(0, limit) : listed };
  }

  /** `GET /containers/{id}/json`. */
  async inspect(reference: string): Promise<SimulatorResponse> {
    const container = await this.resolve(reference);
    const info = (await this.#call(() => container.inspect())) as unknown as Record<string, unknown>;
    const config = (info.Config ?? {}) as Record<string, unknown>;
    const state = { ...((info.State ?? {}) as Record<string, unknown>) };
    delete state.Health;
    return {
      status: 200,
      json: {
        ...info,
        Name: this.#clientName(String(info.Name ?? '')),
        State: state,
        Config: { ...config, Labels: withoutTenantLabel(config.Labels) },
      },
    };
  }

  /** `POST /containers/{id}/start`: `204`, or `304` when already running. */
  async start(reference: string): Promise<SimulatorResponse> {
    const container = await this.resolve(reference);
    return this.#notModifiedAware(() => container.start());
  }

  /** `POST /containers/{id}/stop?t=`: `204`, or `304` when already stopped. */
  async stop(reference: string, query: URLSearchParams): Promise<SimulatorResponse> {
    const container = await this.resolve(reference);
    const timeout = query.get('t');
    return this.#notModifiedAware(() => container.stop(timeout === null ? {} : { t: Number.parseInt(timeout, 10) }));
  }

  /** `POST /containers/{id}/kill?signal=`. */
  async kill(reference: string, query: URLSearchParams): Promise<SimulatorResponse> {
    const container = await this.resolve(reference);
    const signal = query.get('signal');
    await this.#call(() => container.kill(signal === null ? {} : { signal }));
    return { status: 204, empty: true };
  }

  async #notModifiedAware(operation: () => Promise<unknown>): Promise<SimulatorResponse> {
    try {
      await operation();
      return { status: 204, empty: true };
    } catch (error) {
      if (engineStatus(error) === 304) return { status: 304, empty: true };
      throw engineError(error, this.rename);
    }
  }

  /** `POST /containers/{id}/wait` → `{"StatusCode": n}` (v1.23 has no `Error` field). */
  async wait(reference: string): Promise<SimulatorResponse> {
    const container = await this.resolve(reference);
    const result = (await this.#call(() => container.wait())) as { StatusCode?: number };
    return { status: 200, json: { StatusCode: result.StatusCode ?? 0 } };
  }

  /**
   * `DELETE /containers/{id}?v=&force=`: `204` when volumes are removed too (as observed for
   * `?v=1&force=1`), otherwise `200 []` (as observed for `?force=1`).
   */
  async remove(reference: string, query: URLSearchParams): Promise<SimulatorResponse> {
    const container = await this.resolve(reference);
    const volumes = boolParameter(query.get('v'));
    await this.#call(() => container.remove({ v: volumes, force: boolParameter(query.get('force')) }));
    return volumes ? { status: 204, empty: true } : { status: 200, json: [] };
  }

  /** `GET /containers/{id}/logs`: Docker's raw stream (multiplexed frames without a TTY). */
  async logs(reference: string, query: URLSearchParams): Promise<SimulatorResponse> {
    const container = await this.resolve(reference);
    const options = {
      stdout: boolParameter(query.get('stdout')),
      stderr: boolParameter(query.get('stderr')),
      timestamps: boolParameter(query.get('timestamps')),
      since: Number.parseInt(query.get('since') ?? '0', 10) || 0,
    };
    const tailParameter = query.get('tail');
    const tail = tailParameter === null || tailParameter === 'all' ? undefined : Number.parseInt(tailParameter, 10);
    if (tail !== undefined && Number.isNaN(tail))
      throw new HyperHttpError(400, `Bad parameter: invalid tail ${tailParameter}`);
    if (tail !== undefined) Object.assign(options, { tail });
    if (!options.stdout && !options.stderr) {
      throw new HyperHttpError(400, 'Bad parameter: you must choose at least one stream');
    }
    const contentType = 'application/vnd.docker.raw-stream';
    if (boolParameter(query.get('follow'))) {
      const stream = (await this.#call(() => container.logs({ ...options, follow: true }))) as unknown as Readable;
      return { status: 200, stream, contentType };
    }
    const buffer = (await this.#call(() => container.logs({ ...options, follow: false }))) as Buffer;
    return { status: 200, raw: buffer, contentType };
  }

  /** `GET /images/json`: the images on the engine, in v1.23's shape. */
  async images(): Promise<SimulatorResponse> {
    const images = await this.#call(() => this.#docker.listImages());
    return {
      status: 200,
      json: images.map((image) => ({
        Id: image.Id,
        ParentId: image.ParentId,
        RepoTags: image.RepoTags ?? [],
        RepoDigests: image.RepoDigests ?? [],
        Created: image.Created,
        Size: image.Size,
        VirtualSize: image.VirtualSize ?? image.Size,
        Labels: image.Labels ?? {},
      })),
    };
  }

  /** `POST /images/create?fromImage=&tag=`: nothing can be pulled; an image present on the engine is "up to date". */
  async pull(query: URLSearchParams): Promise<SimulatorResponse> {
    const from = query.get('fromImage');
    if (!from) throw new HyperHttpError(400, 'Bad parameter: fromImage is required');
    const tag = query.get('tag');
    const reference = tag ? `${from}:${tag}` : from.includes(':') ? from : `${from}:latest`;
    try {
      await this.#docker.getImage(reference).inspect();
    } catch (error) {
      if (engineStatus(error) === 404) throw new HyperHttpError(404, `Error: image ${reference} not found`);
      throw engineError(error, this.rename);
    }
    const lines = [
      { status: `Pulling from ${from}`, id: tag ?? 'latest' },
      { status: `Status: Image is up to date for ${reference}` },
    ];
    return {
      status: 200,
      raw: Buffer.from(lines.map((line) => `${JSON.stringify(line)}\r\n`).join('')),
      contentType: 'application/json',
    };
  }

  /** `GET /version`: the engine's version, speaking API 1.23. */
  async version(): Promise<SimulatorResponse> {
    const version = await this.#call(() => this.#docker.version());
    return {
      status: 200,
      json: {
        Version: version.Version,
        ApiVersion: '1.23',
        GitCommit: version.GitCommit,
        GoVersion: version.GoVersion,
        Os: version.Os,
        Arch: version.Arch,
        KernelVersion: version.KernelVersion,
        BuildTime: version.BuildTime,
      },
    };
  }

  /** Force-removes every container of this account (with volumes). Returns the client names removed. */
  async removeAll(): Promise<string[]> {
    const removed: string[] = [];
    for (const container of await this.tenantContainers()) {
      try {
        await this.#docker.getContainer(container.Id).remove({ force: true, v: true });
        removed.push(this.#clientName(container.Names[0] ?? container.Id).slice(1));
      } catch (error) {
        if (engineStatus(error) !== 404) throw engineError(error, this.rename);
      }
    }
    return removed;
  }
}
