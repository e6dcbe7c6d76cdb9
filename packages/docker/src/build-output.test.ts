import { describe, expect, it } from 'vitest';
import { decodeBuildOutput } from './build-output.js';

describe('decodeBuildOutput (Buildbot _handle_stream_line)', () => {
  it('D41: an empty stream gives no lines', () => {
    expect(decodeBuildOutput({ stream: '\n' })).toEqual([]);
  });

  it('D42: one line', () => {
    expect(decodeBuildOutput({ stream: ' ---\u003e Using cache\n' })).toEqual([' ---> Using cache']);
  });

  it('D43: several lines', () => {
    expect(decodeBuildOutput({ stream: 'Fetched 8298 kB in 3s (2096 kB/s)\nReading package lists...' })).toEqual([
      'Fetched 8298 kB in 3s (2096 kB/s)',
      'Reading package lists...',
    ]);
  });

  it('D44: an error object becomes "ERROR: <error>"', () => {
    expect(
      decodeBuildOutput({
        errorDetail: { code: 127, message: 'x' },
        error: "The command '/bin/sh -c apt-get install -y -qq wget' returned a non-zero code: 127",
      }),
    ).toEqual(["ERROR: The command '/bin/sh -c apt-get install -y -qq wget' returned a non-zero code: 127"]);
  });
});
