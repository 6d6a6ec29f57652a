// EventBridge event patterns, as far as the template's rules use them: validation (PutRule →
// InvalidEventPatternException) and matching against an event envelope ({version, id,
// detail-type, source, account, time, region, resources, detail}).
//
// Supported: nested objects whose leaves are arrays of exact values (strings, numbers, booleans,
// null); a field matches when it equals any of them, and an array in the event when any of its
// elements does. That is all the template's rules need (`source: [price.oracle]`,
// `detail-type: [Collateral Changed, Position Changed]`). Content filters (prefix, numeric,
// exists, anything-but, ...), $or and the rest are rejected rather than silently never matching.

export class PatternError extends Error {}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isScalar = (v) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

// Accepts the pattern as JSON text or object; returns the parsed object or throws PatternError.
export function parsePattern(pattern) {
  let parsed = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (err) {
      throw new PatternError(`Event pattern is not valid JSON: ${err.message}`);
    }
  }
  if (!isObject(parsed) || Object.keys(parsed).length === 0) throw new PatternError('Event pattern must be a non-empty JSON object.');
  validate(parsed, '');
  return parsed;
}

function validate(node, path) {
  for (const [key, value] of Object.entries(node)) {
    const at = path ? `${path}.${key}` : key;
    if (key.startsWith('$')) throw new PatternError(`${at}: ${key} is not supported by the local EventBridge`);
    if (isObject(value)) {
      if (Object.keys(value).length === 0) throw new PatternError(`${at}: empty object`);
      validate(value, at);
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new PatternError(`${at}: empty array`);
      for (const m of value) {
        if (!isScalar(m)) {
          throw new PatternError(`${at}: ${JSON.stringify(m)}: only exact values are supported by the local EventBridge (no content filters)`);
        }
      }
    } else {
      throw new PatternError(`Event pattern is not valid. Reason: "${at}" must be an object or an array`);
    }
  }
}

export function matches(pattern, event) {
  for (const [key, sub] of Object.entries(pattern)) {
    if (!isObject(event) || !Object.hasOwn(event, key)) return false;
    const value = event[key];
    if (Array.isArray(sub)) {
      const values = Array.isArray(value) ? value : [value];
      if (!values.some((v) => isScalar(v) && sub.includes(v))) return false;
    } else if (Array.isArray(value) ? !value.some((v) => matches(sub, v)) : !matches(sub, value)) {
      return false;
    }
  }
  return true;
}
