import { randomBytes } from 'node:crypto';
import { recordingLogger } from '@latentci/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareImage } from './image-preparation.js';
import { withEngine } from './test-engine.js';
import { docker } from './test-support.js';
import { importBusyboxImage } from './testing/busybox-image.js';
import { recordEvents } from './testing/record-events.js';

// Defect 10 of issue #23: a tag-less image picks a local tag by Buildbot's rule; when several
// match, the provider says so and names the one it took. Real engine, tags made for this file.
const repository = `latentci-tagless-${randomBytes(4).toString('hex')}`;
const tags = ['1', '2'];

withEngine(async () => {
  const busybox = await importBusyboxImage({ docker });
  for (const tag of tags) await docker.getImage(busybox).tag({ repo: repository, tag });
});

afterAll(async () => {
  for (const tag of tags)
    await docker
      .getImage(`${repository}:${tag}`)
      .remove()
      .catch(() => undefined);
});

describe('defect 10 (#23): a tag-less image with several local tags', () => {
  it('is run with one of them, and a warning names the candidates and the one taken', async () => {
    const logger = recordingLogger();
    const reference = await prepareImage(
      { image: repository, customContext: false, autopull: false, alwaysPull: false },
      {
        docker,
        dockerHost: 'unix:///var/run/docker.sock',
        events: recordEvents(),
        logger,
        labels: {},
        signal: AbortSignal.timeout(60_000),
      },
    );
    expect([`${repository}:1`, `${repository}:2`]).toContain(reference);
    const warning = logger.records.find((record) => record.level === 'warn');
    expect(warning?.message).toContain(`image "${repository}" has no tag and 2 local tags match`);
    expect(warning?.message).toContain(`using ${reference}; give the tag to choose`);
  });
});
