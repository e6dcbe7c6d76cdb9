/**
 * Child process of the idle-connection benchmark: opens `count` PB connections to our server,
 * each logging in as `<prefix><n>` by replaying the golden transcript's login, then stays idle
 * until its standard input closes. Prints `ready` once every client logged in.
 */
import { TranscriptClient, transcriptLogin } from '../src/pb/transcript.test-support.js';

const [host = '127.0.0.1', port = '0', count = '200', prefix = 'idle-', password = ''] = process.argv.slice(2);
const clients: TranscriptClient[] = [];
const concurrency = 20;
let next = 0;
async function worker(): Promise<void> {
  while (next < Number(count)) {
    const index = next;
    next += 1;
    const client = await TranscriptClient.connect(host, Number(port));
    await transcriptLogin(client, password, `${prefix}${index}`);
    clients.push(client);
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
console.log('ready');
process.stdin.resume();
process.stdin.on('end', () => {
  for (const client of clients) client.close();
  process.exit(0);
});
