import { InvalidVolumeError } from './errors.js';

/** A parsed volume definition: the container-side path and the bind string given to the engine. */
export interface ParsedVolume {
  /** Host path or named volume. */
  readonly source: string;
  /** Path inside the container, without any mode suffix. */
  readonly containerPath: string;
  /** Mode options (`ro`, `rw`, `z`, `Z`, `cached`, `delegated`, propagation…), in the given order. */
  readonly modes: readonly string[];
  /** The original string, passed unchanged as a bind (Buildbot's `binds`). */
  readonly bind: string;
}

/** Mode options the engine accepts after the container path (`-v src:dst:<modes>`). */
const KNOWN_MODES = new Set([
  'ro',
  'rw',
  'z',
  'Z',
  'cached',
  'delegated',
  'consistent',
  'nocopy',
  'shared',
  'rshared',
  'slave',
  'rslave',
  'private',
  'rprivate',
]);

const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;

/** Splits `text` at the first colon that is not part of a leading Windows drive letter (`C:\`). */
function splitPath(text: string): [string, string | undefined] {
  const start = WINDOWS_DRIVE.test(text) ? 2 : 0;
  const colon = text.indexOf(':', start);
  if (colon < 0) return [text, undefined];
  return [text.slice(0, colon), text.slice(colon + 1)];
}

function invalid(volume: string, why: string, retryable: boolean): InvalidVolumeError {
  return new InvalidVolumeError(
    volume,
    `Invalid volume definition for docker ${volume}: ${why}. Write "<host path or volume>:<container path>[:ro|:rw|:z|…]", e.g. "/srv/cache:/cache:ro"`,
    { retryable },
  );
}

/**
 * Parses `"<source>:<container path>[:<modes>]"` like Buildbot (split at the first colon, the
 * original string is the bind), but also strips every mode the engine knows (`:z`, `:Z`,
 * `:cached`, `:delegated`, combined `:ro,z`…) and keeps Windows drive letters (`C:\x:/y`) whole
 * instead of leaking them into the container path.
 *
 * `retryable` marks errors raised at start time (a renderable volume rendered badly), which
 * Buildbot retries; configuration-time errors are not retryable.
 */
export function parseVolume(volume: string, retryable = false): ParsedVolume {
  const [source, rest] = splitPath(volume);
  if (rest === undefined) throw invalid(volume, 'it has no ":" between the source and the container path', retryable);
  if (source.length === 0) throw invalid(volume, 'the source before ":" is empty', retryable);
  const [containerPath, modeText] = splitPath(rest);
  if (containerPath.length === 0) throw invalid(volume, 'the container path after ":" is empty', retryable);
  if (!containerPath.startsWith('/') && !WINDOWS_DRIVE.test(containerPath)) {
    throw invalid(volume, `the container path "${containerPath}" is not absolute`, retryable);
  }
  const modes = modeText === undefined ? [] : modeText.split(',');
  const unknown = modes.filter((mode) => !KNOWN_MODES.has(mode));
  if (unknown.length > 0) {
    throw invalid(
      volume,
      `unknown mode ${unknown.map((mode) => `"${mode}"`).join(', ')} (known: ${[...KNOWN_MODES].join(', ')})`,
      retryable,
    );
  }
  return { source, containerPath, modes, bind: volume };
}

/** Parses every volume; the result lists the container paths and the binds, in order. */
export function parseVolumes(
  volumes: readonly string[],
  retryable = false,
): { containerPaths: string[]; binds: string[] } {
  const parsed = volumes.map((volume) => parseVolume(volume, retryable));
  return { containerPaths: parsed.map((volume) => volume.containerPath), binds: parsed.map((volume) => volume.bind) };
}
