import { DockerLogDecoder, environmentList, reapEach, settingOrEnvironment } from '@latentci/provider-utils';

// A setting with an environment fallback, as a provider's settings loader reads it.
export const apiKey = settingOrEnvironment({
  name: 'apiKey',
  value: undefined,
  variable: 'MYCLOUD_API_KEY',
  env: { MYCLOUD_API_KEY: 'from-the-environment' },
});

// The worker environment as the KEY=VALUE list container APIs take.
export const env = environmentList({ WORKERNAME: 'linux-1', BUILDMASTER: 'ci.example.org' });

// A container's log stream, frames or TTY, chunk by chunk, into lines per stream.
export const lines: string[] = [];
const decoder = new DockerLogDecoder((line, stream) => lines.push(`${stream}: ${line}`));
decoder.push(Buffer.from([1, 0, 0, 0, 0, 0, 0, 6, ...Buffer.from('hello\n')]));
decoder.end();

// Orphans removed four at a time; failures are reported, an abort stops the reap.
export const reaped = await reapEach([{ id: 'c1', masterId: 'ci', workerName: 'linux-1' }], async () => {}, {
  signal: AbortSignal.timeout(10_000),
});
