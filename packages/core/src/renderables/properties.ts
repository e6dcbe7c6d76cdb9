// Placeholder until the renderables land: the Properties container (Buildbot's model).
export class Properties {}
