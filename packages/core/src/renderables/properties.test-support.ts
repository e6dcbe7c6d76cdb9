import { Properties, type PropertiesOptions } from './properties.js';

/** Test helper: properties holding `values` (source `test`), with `options` for the other selectors. */
export function propertiesWith(values: Record<string, unknown> = {}, options: PropertiesOptions = {}): Properties {
  const properties = new Properties(options);
  properties.update(values, 'test');
  return properties;
}
