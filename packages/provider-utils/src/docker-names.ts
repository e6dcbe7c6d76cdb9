import { ConfigurationError, type LatentErrorOptions } from '@latentci/core';

/** Longest text of a user value quoted in an error message; longer ones are cut. */
const QUOTE_LIMIT = 120;

/** `value` quoted for an error message, cut to a readable length (a 10 MB name stays out of logs). */
export function quoteValue(value: string): string {
  if (value.length <= QUOTE_LIMIT) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}… (${value.length} characters)`;
}

/** `text` cut to a readable length for an error message. */
export function clipText(text: string, limit = 300): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length} characters)`;
}

// The reference grammar of the distribution project (docker/distribution `reference`).
const ALPHA_NUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHA_NUMERIC}(?:${SEPARATOR}${ALPHA_NUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const IMAGE_ID = /^(?:sha256:)?[0-9a-f]{12,64}$/;
/** Longest repository name the engine accepts. */
const NAME_LIMIT = 255;

/**
 * Checks an image reference against Docker's grammar before any request: `[registry[:port]/]name[:tag][@digest]`
 * with a lowercase name, or an image id. Throws `ConfigurationError` saying what is wrong.
 */
export function assertImageReference(reference: string, setting = 'image', options: LatentErrorOptions = {}): void {
  const fail = (why: string): never => {
    throw new ConfigurationError(`${setting} ${quoteValue(reference)} is not a valid image reference: ${why}`, options);
  };
  if (reference.trim().length === 0) fail('it is empty; give an image such as "buildbot/buildbot-worker:latest"');
  if (IMAGE_ID.test(reference)) return;
  const match = REFERENCE.exec(reference);
  if (!match) {
    if (/\s/.test(reference)) fail('it contains white space');
    if (reference.toLowerCase() !== reference && REFERENCE.test(reference.toLowerCase())) {
      fail(`repository names must be lowercase (write ${quoteValue(reference.toLowerCase())})`);
    }
    fail(
      'use [registry[:port]/]name[:tag][@sha256:digest], with a lowercase name of letters, digits and . _ - separators',
    );
  }
  if ((match?.[1]?.length ?? 0) > NAME_LIMIT) fail(`the repository name is longer than ${NAME_LIMIT} characters`);
}

/** Docker's container name rule. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Checks the container name (`buildbot-<worker>-<hash>`) before any request: Docker allows only
 * letters, digits, `_`, `.` and `-`. The usual cause is the worker name.
 */
export function assertContainerName(name: string, workerName: string): void {
  if (CONTAINER_NAME.test(name)) return;
  throw new ConfigurationError(
    `worker name ${quoteValue(workerName)} cannot name a Docker container (${quoteValue(name)}): Docker allows only ASCII letters, digits, "_", "." and "-"; rename the worker`,
  );
}

/**
 * A user value as URL path segments: each `/`-separated part percent-encoded, so `?`, `#`, `%` and
 * spaces stay in the path, and `.`/`..` parts (path traversal) are refused.
 */
export function encodePathSegments(value: string, setting: string): string {
  const segments = value.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..' || segment === '')) {
    throw new ConfigurationError(
      `${setting} ${quoteValue(value)} has an empty, "." or ".." path part: give a valid image reference`,
    );
  }
  return segments.map(encodeURIComponent).join('/');
}
