import { expect, it } from 'vitest';
import * as entry from './index.js';

// The export list of @latentci/kubernetes is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/kubernetes exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "KUBERNETES_PROVIDER_RBAC_RULES",
      "KubernetesApiError",
      "KubernetesForbiddenError",
      "KubernetesImagePullError",
      "KubernetesInvalidObjectError",
      "KubernetesNamespaceNotFoundError",
      "createKubernetesProvider",
      "createProvider",
      "kubernetesLatentWorker",
    ]
  `);
});
