import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '@latentci/core';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageNotFoundError } from './errors.js';
import { prepareImage } from './image-preparation.js';
import { recordEvents } from './testing/record-events.js';

// Defect 7 of issue #23: a value that reaches an Engine API URL is percent-encoded, path part by
// path part. The "engine" here records the request lines and knows no image.
const paths: string[] = [];
let server: Server;
let docker: Dockerode;

beforeAll(async () => {
  server = createServer((request, response) => {
    paths.push(request.url ?? '');
    response.setHeader('content-type', 'application/json');
    if (request.url?.startsWith('/images/json')) {
      response.end('[]');
      return;
    }
    response.statusCode = 404;
    response.end(JSON.stringify({ message: 'no such image' }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  docker = new Dockerode({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'http' });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function prepare(image: string) {
  return prepareImage(
    { image, customContext: false, autopull: false, alwaysPull: false },
    {
      docker,
      dockerHost: 'tcp://127.0.0.1',
      events: recordEvents(),
      logger: { log: () => {} },
      labels: {},
      signal: AbortSignal.timeout(10_000),
    },
  );
}

describe('defect 7 (#23): image names are encoded in Engine API paths', () => {
  it('"?" and "#" stay in the image path part instead of adding a query or cutting the path', async () => {
    paths.length = 0;
    await expect(prepare('busybox?all=1#x')).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(paths[0]).toBe('/images/busybox%3Fall%3D1%23x/json');
  });

  it('a registry path keeps its "/" separators, each part encoded', async () => {
    paths.length = 0;
    await expect(prepare('registry.example:5000/team/img:1 x')).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(paths[0]).toBe('/images/registry.example%3A5000/team/img%3A1%20x/json');
  });

  it('"../containers/X" cannot reach another endpoint: refused before any request', async () => {
    paths.length = 0;
    await expect(prepare('../containers/X')).rejects.toBeInstanceOf(ConfigurationError);
    expect(paths).toEqual([]);
  });
});
