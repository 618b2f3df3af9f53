import type { Spec } from '../spec/index.js';
import { InvalidKey } from './errors.js';
import type { Channel, DataType, ModuleName } from './ids.js';

/** The TTL class of a (module, data type), from the module's own types or the common (mobile sync) ones. */
export function ttlClassOf(spec: Spec, module: ModuleName, dataType: DataType): string {
  const cls = spec.modules[module]?.dataTypes[dataType] ?? spec.commonDataTypes[dataType];
  if (cls === undefined) throw new InvalidKey(`no TTL class for ${module}/${dataType}`, 'data-type');
  return cls;
}

/** TTL in seconds for (module, data type, channel). Unknown types are errors, never a silent default (the seed gave everything 900 s). */
export function ttlSeconds(spec: Spec, module: ModuleName, dataType: DataType, channel: Channel): number {
  const cls = ttlClassOf(spec, module, dataType);
  const t = spec.ttlClasses[cls];
  if (!t) throw new InvalidKey(`TTL class ${cls} is not defined`, 'ttl-class');
  return t[channel];
}

/** The whole TTL table of a module for one channel: what the tenant's meta config records. */
export function ttlTable(spec: Spec, module: ModuleName, channel: Channel): Record<string, number> {
  const types = [...Object.keys(spec.modules[module]?.dataTypes ?? {}), ...Object.keys(spec.commonDataTypes)];
  return Object.fromEntries(types.map((dt) => [dt, ttlSeconds(spec, module, dt as DataType, channel)]));
}
