import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import Dockerode from 'dockerode';

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';
const LAYER_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** A tiny read-only Docker registry (API v2) on loopback, serving images copied from an engine. */
export interface LocalRegistry {
  /** `<listen host>:<port>` (default `127.0.0.1:<port>`): prefix of the references it serves (engines treat loopback registries as insecure, so plain HTTP works). */
  readonly host: string;
  /**
   * Copies `image` from the engine (`docker save`) and serves it as `<host>/<repository>:<tag>`.
   * Resolves with the reference by tag and by digest (`<host>/<repository>@sha256:…`).
   */
  publish(
    image: string,
    repository: string,
    tag: string,
  ): Promise<{ tagged: string; digested: string; digest: string }>;
  /** How many manifest requests the registry answered (pulls that reached it). */
  readonly manifestRequests: number;
  close(): Promise<void>;
}

interface TarFile {
  readonly name: string;
  readonly content: Buffer;
}

function readTar(archive: Buffer): TarFile[] {
  const files: TarFile[] = [];
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = Number.parseInt(text(124, 12).trim() || '0', 8);
    const prefix = text(345, 155);
    const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
    const type = text(156, 1) || '0';
    if (type === '0') files.push({ name, content: archive.subarray(offset + 512, offset + 512 + size) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

const sha256 = (content: Buffer) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

/**
 * Starts a loopback registry so that tests can pull for real (autopull, alwaysPull, digest
 * references) on a machine without internet: images are copied from the engine itself.
 */
export async function startLocalRegistry(
  options: {
    docker?: Dockerode;
    /** Address to listen on. Default 127.0.0.1; another address needs the engines' `--insecure-registry`. */
    listenHost?: string;
  } = {},
): Promise<LocalRegistry> {
  const docker = options.docker ?? new Dockerode();
  const blobs = new Map<string, { content: Buffer; type: string }>();
  const manifests = new Map<string, Buffer>();
  let manifestRequests = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://registry');
    const send = (status: number, body: Buffer | string, headers: Record<string, string> = {}) => {
      const content = typeof body === 'string' ? Buffer.from(body) : body;
      response.writeHead(status, { 'Content-Length': String(content.length), ...headers });
      response.end(request.method === 'HEAD' ? undefined : content);
    };
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      send(200, '{}', { 'Content-Type': 'application/json', 'Docker-Distribution-API-Version': 'registry/2.0' });
      return;
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest?.[1] && manifest[2]) {
      manifestRequests++;
      const body = manifests.get(`${manifest[1]}:${manifest[2]}`);
      if (!body) {
        send(404, JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }), {
          'Content-Type': 'application/json',
        });
        return;
      }
      send(200, body, { 'Content-Type': MANIFEST_TYPE, 'Docker-Content-Digest': sha256(body) });
      return;
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    const found = blob?.[2] ? blobs.get(blob[2]) : undefined;
    if (blob?.[2] && found) {
      send(200, found.content, { 'Content-Type': found.type, 'Docker-Content-Digest': blob[2] });
      return;
    }
    send(404, JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }), {
      'Content-Type': 'application/json',
    });
  });
  const listenHost = options.listenHost ?? '127.0.0.1';
  server.listen({ host: listenHost, port: 0 });
  await once(server, 'listening');
  const host = `${listenHost}:${(server.address() as AddressInfo).port}`;
  return {
    host,
    get manifestRequests() {
      return manifestRequests;
    },
    async publish(image, repository, tag) {
      const stream = (await docker.getImage(image).get()) as NodeJS.ReadableStream;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      const files = new Map(readTar(Buffer.concat(chunks)).map((file) => [file.name, file.content]));
      const [entry] = JSON.parse(String(files.get('manifest.json'))) as { Config: string; Layers: string[] }[];
      if (!entry) throw new Error(`docker save of ${image} has no manifest.json entry`);
      const config = files.get(entry.Config);
      if (!config) throw new Error(`docker save of ${image} has no ${entry.Config}`);
      blobs.set(sha256(config), { content: config, type: CONFIG_TYPE });
      const layers = entry.Layers.map((path) => {
        const layer = files.get(path);
        if (!layer) throw new Error(`docker save of ${image} has no ${path}`);
        const compressed = gzipSync(layer);
        blobs.set(sha256(compressed), { content: compressed, type: LAYER_TYPE });
        return { mediaType: LAYER_TYPE, size: compressed.length, digest: sha256(compressed) };
      });
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MANIFEST_TYPE,
          config: { mediaType: CONFIG_TYPE, size: config.length, digest: sha256(config) },
          layers,
        }),
      );
      const digest = sha256(manifest);
      manifests.set(`${repository}:${tag}`, manifest);
      manifests.set(`${repository}:${digest}`, manifest);
      return { tagged: `${host}/${repository}:${tag}`, digested: `${host}/${repository}@${digest}`, digest };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
