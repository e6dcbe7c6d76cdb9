import { describe, expect, it } from 'vitest';
import { InvalidVolumeError } from './errors.js';
import { parseVolume, parseVolumes } from './volumes.js';

describe('parseVolumes', () => {
  it('D17: "/src/webapp:/opt/webapp" gives the container path /opt/webapp and the string unchanged as bind', () => {
    expect(parseVolumes(['/src/webapp:/opt/webapp'])).toEqual({
      containerPaths: ['/opt/webapp'],
      binds: ['/src/webapp:/opt/webapp'],
    });
  });

  it('D18: strips :ro and :rw from the container paths and keeps them in the binds', () => {
    expect(parseVolumes(['/src/webapp:/opt/webapp:ro', '~:/backup:rw'])).toEqual({
      containerPaths: ['/opt/webapp', '/backup'],
      binds: ['/src/webapp:/opt/webapp:ro', '~:/backup:rw'],
    });
  });

  it('strips SELinux, consistency and combined modes instead of leaking them into the container path', () => {
    for (const [volume, path, modes] of [
      ['/a:/b:z', '/b', ['z']],
      ['/a:/b:Z', '/b', ['Z']],
      ['/a:/b:cached', '/b', ['cached']],
      ['/a:/b:delegated', '/b', ['delegated']],
      ['/a:/b:ro,z', '/b', ['ro', 'z']],
      ['named-volume:/cache:rw,rshared', '/cache', ['rw', 'rshared']],
    ] as const) {
      const parsed = parseVolume(volume);
      expect(parsed.containerPath).toBe(path);
      expect(parsed.modes).toEqual(modes);
      expect(parsed.bind).toBe(volume);
    }
  });

  it('keeps a Windows drive letter in the source and in the container path', () => {
    expect(parseVolume('C:\\x:/y')).toMatchObject({ source: 'C:\\x', containerPath: '/y', modes: [] });
    expect(parseVolume('C:\\data:D:\\work:ro')).toMatchObject({
      source: 'C:\\data',
      containerPath: 'D:\\work',
      modes: ['ro'],
    });
  });

  it('D19: a definition without a colon is a configuration error naming it', () => {
    expect(() => parseVolumes(['abcd=efgh'])).toThrow(InvalidVolumeError);
    expect(() => parseVolumes(['abcd=efgh'])).toThrow(/Invalid volume definition for docker abcd=efgh/);
  });

  it('rejects empty parts, relative container paths and unknown modes with what to write instead', () => {
    expect(() => parseVolume(':/b')).toThrow(/source before ":" is empty/);
    expect(() => parseVolume('/a:')).toThrow(/container path after ":" is empty/);
    expect(() => parseVolume('/a:b')).toThrow(/not absolute/);
    expect(() => parseVolume('/a:/b:fast')).toThrow(/unknown mode "fast"/);
  });

  it('marks start-time errors retryable and configuration-time errors not', () => {
    const atConfiguration = (() => {
      try {
        parseVolume('nocolon');
      } catch (error) {
        return error as InvalidVolumeError;
      }
    })();
    const atStart = (() => {
      try {
        parseVolume('nocolon', true);
      } catch (error) {
        return error as InvalidVolumeError;
      }
    })();
    expect(atConfiguration?.retryable).toBe(false);
    expect(atStart?.retryable).toBe(true);
    expect(atStart?.code).toBe('CONFIGURATION_ERROR');
  });
});
