import { describe, expect, it } from 'vitest';
import { findImage, imageMatches, pullReference, runnableReference } from './image-reference.js';

const busybox = {
  Id: `sha256:${'a'.repeat(64)}`,
  RepoTags: ['busybox:latest'],
  RepoDigests: [`busybox@sha256:${'b'.repeat(64)}`],
};
const registryImage = { Id: `sha256:${'c'.repeat(64)}`, RepoTags: ['registry:5000/img:tag'], RepoDigests: [] };
const untagged = { Id: `sha256:${'d'.repeat(64)}`, RepoTags: null, RepoDigests: null };

describe('image lookup (Buildbot §2.5, plus digests)', () => {
  it('D21: a name without tag matches its :latest (or any) tag', () => {
    expect(imageMatches('busybox', busybox)).toBe(true);
  });

  it('D22: an exact name:tag matches', () => {
    expect(imageMatches('busybox:latest', busybox)).toBe(true);
  });

  it('D23: another tag does not match', () => {
    expect(imageMatches('busybox:123', busybox)).toBe(false);
  });

  it('a registry with a port matches its tagged images', () => {
    expect(imageMatches('registry:5000/img', registryImage)).toBe(true);
    expect(imageMatches('registry:5000', registryImage)).toBe(false);
  });

  it('Podman: fully qualified tags (docker.io/library/…, localhost/…) match the familiar name', () => {
    const imported = { Id: `sha256:${'e'.repeat(64)}`, RepoTags: ['docker.io/library/latentci-probe:0.1.0'] };
    const built = { Id: `sha256:${'f'.repeat(64)}`, RepoTags: ['localhost/worker:1'] };
    expect(imageMatches('latentci-probe:0.1.0', imported)).toBe(true);
    expect(imageMatches('latentci-probe', imported)).toBe(true);
    expect(imageMatches('worker:1', built)).toBe(true);
    expect(imageMatches('worker:2', built)).toBe(false);
    expect(runnableReference('latentci-probe', imported)).toBe('latentci-probe:0.1.0');
  });

  it('untagged images are skipped, not an error', () => {
    expect(findImage('busybox', [untagged, busybox])).toBe(busybox);
  });

  it('a digest reference matches RepoDigests (Buildbot never finds them)', () => {
    expect(imageMatches(`busybox@sha256:${'b'.repeat(64)}`, busybox)).toBe(true);
    expect(imageMatches(`busybox:latest@sha256:${'b'.repeat(64)}`, busybox)).toBe(true);
    expect(imageMatches(`busybox@sha256:${'e'.repeat(64)}`, busybox)).toBe(false);
  });

  it('an image id matches the image', () => {
    expect(imageMatches(`sha256:${'a'.repeat(64)}`, busybox)).toBe(true);
  });

  it('pulls the latest tag of a reference without tag, a given tag, or a digest', () => {
    expect(pullReference('alpine')).toEqual({ fromImage: 'alpine', tag: 'latest' });
    expect(pullReference('registry:5000/img:1.2')).toEqual({ fromImage: 'registry:5000/img', tag: '1.2' });
    expect(pullReference('registry:5000/img')).toEqual({ fromImage: 'registry:5000/img', tag: 'latest' });
    expect(pullReference(`img@sha256:${'b'.repeat(64)}`)).toEqual({
      fromImage: 'img',
      tag: `sha256:${'b'.repeat(64)}`,
    });
  });
});
