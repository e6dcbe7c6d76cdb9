/** What the image lookup needs from `GET /images/json`. */
export interface LocalImage {
  readonly Id: string;
  readonly RepoTags?: readonly string[] | null | undefined;
  readonly RepoDigests?: readonly string[] | null | undefined;
}

/** `name@sha256:<hex>` (optionally `name:tag@sha256:…`). */
const DIGEST_REFERENCE = /^(.+)@(sha256:[0-9a-f]{64})$/;
/** A bare image id: `sha256:<hex>`. */
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/** `name:tag@digest` → `name`; the tag is informative only when a digest is given. */
function repositoryOf(name: string): string {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(0, colon) : name;
}

/**
 * The name Docker shows for a tag: Podman reports fully qualified names
 * (`docker.io/library/busybox:1`, and `localhost/name:tag` for images it built or imported), Docker
 * the familiar form (`busybox:1`). Matching on the familiar form makes both engines answer alike.
 */
export function familiarTag(tag: string): string {
  for (const prefix of ['docker.io/library/', 'docker.io/', 'localhost/']) {
    if (tag.startsWith(prefix)) return tag.slice(prefix.length);
  }
  return tag;
}

function familiarTags(image: LocalImage): string[] {
  return (image.RepoTags ?? []).map(familiarTag);
}

/**
 * Buildbot's image existence rule (§2.5): for every tag of every local image, match if the
 * requested name contains `:` and equals the tag, or the tag starts with `<requested>:`. So
 * `busybox` matches `busybox:latest`, `busybox:123` does not. Unlike Buildbot, digest references
 * (`img@sha256:…`) match the image's `RepoDigests`, and a bare image id (`sha256:…`) matches `Id`.
 */
export function imageMatches(requested: string, image: LocalImage): boolean {
  if (IMAGE_ID.test(requested)) return image.Id === requested;
  const digest = DIGEST_REFERENCE.exec(requested);
  if (digest?.[1] && digest[2]) {
    const wanted = `${repositoryOf(digest[1])}@${digest[2]}`;
    return (image.RepoDigests ?? []).some((entry) => entry === wanted || entry === `docker.io/${wanted}`);
  }
  return familiarTags(image).some(
    (tag) => (requested.includes(':') && tag === requested) || tag.startsWith(`${requested}:`),
  );
}

/** Whether any of `images` satisfies `requested` (see {@link imageMatches}). */
export function findImage(requested: string, images: readonly LocalImage[]): LocalImage | undefined {
  return images.find((image) => imageMatches(requested, image));
}

/**
 * Splits a reference for `POST /images/create`: `fromImage` and `tag` (a tag or a digest). A
 * reference without tag or digest pulls `latest` (not every tag, as docker-py 4 did).
 */
export function pullReference(reference: string): { fromImage: string; tag: string } {
  const digest = DIGEST_REFERENCE.exec(reference);
  if (digest?.[1] && digest[2]) return { fromImage: repositoryOf(digest[1]), tag: digest[2] };
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { fromImage: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { fromImage: reference, tag: 'latest' };
}

/**
 * The reference to create the container with once `requested` matched `image`: the requested name
 * itself when it is exact (tag, digest or id), else its `:latest` tag when the image has it, else
 * the first matching tag. (Buildbot passes the bare name, so `busybox` matching only `busybox:1`
 * passes the lookup and then fails to create with "No such image: busybox:latest".)
 */
export function runnableReference(requested: string, image: LocalImage): string {
  if (IMAGE_ID.test(requested) || DIGEST_REFERENCE.test(requested)) return requested;
  const tags = familiarTags(image);
  if (tags.includes(requested)) return requested;
  if (tags.includes(`${requested}:latest`)) return `${requested}:latest`;
  return tags.find((tag) => tag.startsWith(`${requested}:`)) ?? requested;
}
