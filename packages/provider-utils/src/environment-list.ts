/** A worker environment record as the `KEY=VALUE` list Docker, Hyper and Kubernetes-style APIs take. */
export function environmentList(environment: Readonly<Record<string, string>>): string[] {
  return Object.entries(environment).map(([key, value]) => `${key}=${value}`);
}
