/**
 * Marathon's app id rules (`state/PathId.scala`): an id is a `/`-separated path whose segments are
 * lower-case DNS-like labels. The simulator answers 422 with these messages; the provider checks
 * its generated ids with the same rules before calling Marathon.
 */

/** The segment pattern exactly as Marathon prints it in its 422 message. */
export const APP_ID_SEGMENT_PATTERN =
  '^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\.\\.)$';

/** Java `matches()` of the pattern above: the whole segment must match one alternative. */
const SEGMENT = /^(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$|^(?:\.|\.\.)$/;

/** Last segments Marathon reserves for its own sub-resources. */
export const RESERVED_APP_ID_KEYWORDS = ['restart', 'tasks', 'versions', '.', '..'] as const;

/**
 * Canonical absolute form of an app id: leading/trailing slashes stripped, empty segments
 * dropped, `.` and `..` resolved against the root, prefixed with `/`. Segments are not checked.
 */
export function canonicalAppId(id: string): string {
  const resolved: string[] = [];
  for (const segment of id.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') resolved.pop();
    else resolved.push(segment);
  }
  return `/${resolved.join('/')}`;
}

/**
 * The errors Marathon reports for `id` (path `/id` of a 422), empty when the id is valid.
 * Checks every segment against {@link APP_ID_SEGMENT_PATTERN}, reserved last segments and root.
 */
export function appIdErrors(id: string): string[] {
  const errors: string[] = [];
  const segments = id.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => !SEGMENT.test(segment))) {
    errors.push(`must fully match regular expression '${APP_ID_SEGMENT_PATTERN}'`);
  }
  const last = segments.at(-1);
  if (last !== undefined && (RESERVED_APP_ID_KEYWORDS as readonly string[]).includes(last)) {
    errors.push(`must not end with any of the following reserved keywords: ${RESERVED_APP_ID_KEYWORDS.join(', ')}`);
  }
  if (errors.length === 0 && canonicalAppId(id) === '/') errors.push('must not be root');
  return errors;
}
