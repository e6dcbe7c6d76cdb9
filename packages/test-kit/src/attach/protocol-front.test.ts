import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type FrontProtocol, type ProtocolFront, startProtocolFront } from './protocol-front.js';

const servers: Server[] = [];
const fronts: ProtocolFront[] = [];

afterEach(async () => {
  await Promise.all(fronts.splice(0).map((front) => front.close()));
  for (const server of servers.splice(0)) server.close();
});

/** A back end that greets with its name (as a PB master speaks first) and echoes what it gets. */
async function backend(name: string): Promise<number> {
  const server = createServer((socket) => {
    socket.write(`${name}:`);
    socket.pipe(socket);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

async function exchange(port: number, send: string | undefined): Promise<string> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  if (send !== undefined) socket.write(send);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk));
  const expected = (send ?? '').length;
  while (!received.includes(':') || received.length - received.indexOf(':') - 1 < expected) {
    await Promise.race([once(socket, 'data'), once(socket, 'close')]);
    if (socket.destroyed) break;
  }
  socket.destroy();
  return received;
}

describe('startProtocolFront', () => {
  it('hands a greeting probe to the probe server, replaying its first bytes', async () => {
    const seen: FrontProtocol[] = [];
    const front = await startProtocolFront({
      host: '127.0.0.1',
      port: 0,
      backends: { probe: await backend('probe'), pb: await backend('pb') },
      onConnection: (_address, protocol) => seen.push(protocol),
    });
    fronts.push(front);
    expect(await exchange(front.port, 'LATENTCI-PROBE 1 w p\n')).toBe('probe:LATENTCI-PROBE 1 w p\n');
    expect(seen).toEqual(['probe']);
  });

  it('takes a silent client for PB, whose master speaks first', async () => {
    const seen: string[] = [];
    const front = await startProtocolFront({
      host: '127.0.0.1',
      port: 0,
      backends: { probe: await backend('probe'), pb: await backend('pb') },
      onConnection: (address, protocol) => seen.push(`${protocol} from ${address}`),
      sniffMs: 100,
    });
    fronts.push(front);
    expect(await exchange(front.port, undefined)).toBe('pb:');
    expect(seen).toEqual(['pb from 127.0.0.1']);
  });

  it('closes a msgpack (HTTP GET) connection when no msgpack server is configured', async () => {
    const seen: FrontProtocol[] = [];
    const front = await startProtocolFront({
      host: '127.0.0.1',
      port: 0,
      backends: { probe: await backend('probe'), pb: await backend('pb') },
      onConnection: (_address, protocol) => seen.push(protocol),
    });
    fronts.push(front);
    expect(await exchange(front.port, 'GET /ws HTTP/1.1\r\n')).toBe('');
    expect(seen).toEqual(['msgpack']);
  });
});
