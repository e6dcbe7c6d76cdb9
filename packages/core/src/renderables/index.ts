export { FlattenList } from './flatten-list.js';
export { Interpolate } from './interpolate.js';
export { OperatorRenderer, RenderableOperators } from './operators.js';
export {
  Properties,
  type PropertiesOptions,
  type PropertyEntry,
  type SecretsProvider,
  type SourceStamp,
} from './properties.js';
export { Property } from './property.js';
export type { PythonOperator } from './python-operators.js';
export { isRenderable, type Renderable, type Rendered, render } from './render.js';
export { Renderer, type RendererFunction, renderer } from './renderer.js';
export { Secret } from './secret.js';
export { Transform } from './transform.js';
export { type LambdaSubstitution, WithProperties } from './with-properties.js';
