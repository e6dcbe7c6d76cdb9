/**
 * Exactly what the provider asks of the API server, as the rules of an RBAC Role in its namespace
 * (the README shows it as YAML; a test runs the provider against the simulator with only these).
 */
export const KUBERNETES_PROVIDER_RBAC_RULES = [
  { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'delete'] },
] as const;
