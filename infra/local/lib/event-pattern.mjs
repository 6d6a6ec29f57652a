// EventBridge event patterns: validation (PutRule → InvalidEventPatternException) and matching
// against an event envelope ({version, id, detail-type, source, account, time, region,
// resources, detail}).
//
// Supported: nested objects, arrays of exact values (strings, numbers, booleans, null), and the
// content filters prefix, suffix, equals-ignore-case, anything-but (value, list or {prefix}),
// exists and numeric. An array in the event matches when any of its elements does.
// Not supported (rejected, so a rule never silently fails to match): $or, wildcard, cidr.

export class PatternError extends Error {}

const FILTERS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'exists', 'numeric']);
const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

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
      for (const m of value) validateMatcher(m, at);
    } else {
      throw new PatternError(`Event pattern is not valid. Reason: "${at}" must be an object or an array`);
    }
  }
}

function validateMatcher(m, at) {
  if (isScalar(m)) return;
  if (!isObject(m) || Object.keys(m).length !== 1) throw new PatternError(`${at}: invalid matcher ${JSON.stringify(m)}`);
  const [kind] = Object.keys(m);
  const arg = m[kind];
  if (!FILTERS.has(kind)) throw new PatternError(`${at}: the "${kind}" filter is not supported by the local EventBridge`);
  const bad = () => new PatternError(`${at}: invalid ${kind} filter ${JSON.stringify(arg)}`);
  switch (kind) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw bad();
      break;
    case 'exists':
      if (typeof arg !== 'boolean') throw bad();
      break;
    case 'anything-but':
      if (isObject(arg)) {
        if (Object.keys(arg).length !== 1 || typeof arg.prefix !== 'string') throw bad();
      } else if (Array.isArray(arg)) {
        if (!arg.length || !arg.every((v) => typeof v === 'string' || typeof v === 'number')) throw bad();
      } else if (typeof arg !== 'string' && typeof arg !== 'number') {
        throw bad();
      }
      break;
    case 'numeric': {
      if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0) throw bad();
      for (let i = 0; i < arg.length; i += 2) {
        if (!NUMERIC_OPS.has(arg[i]) || typeof arg[i + 1] !== 'number') throw bad();
      }
      break;
    }
    default:
      throw bad();
  }
}

export function matches(pattern, event) {
  return matchObject(pattern, event);
}

function matchObject(pattern, value) {
  // Arrays of objects in the event are flattened by EventBridge: any element may match.
  if (Array.isArray(value)) return value.some((v) => isObject(v) && matchObject(pattern, v));
  for (const [key, sub] of Object.entries(pattern)) {
    const present = isObject(value) && Object.prototype.hasOwnProperty.call(value, key);
    const v = present ? value[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, present, v)) return false;
    } else if (!present || !matchObject(sub, v)) {
      // A nested pattern can still match an absent field through {"exists": false} leaves only.
      if (present || !onlyExistsFalse(sub)) return false;
    }
  }
  return true;
}

function onlyExistsFalse(pattern) {
  return Object.values(pattern).every((sub) =>
    Array.isArray(sub) ? sub.some((m) => isObject(m) && m.exists === false) : onlyExistsFalse(sub),
  );
}

function matchLeaf(matchers, present, value) {
  if (!present) return matchers.some((m) => isObject(m) && m.exists === false);
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((m) => {
    if (isObject(m) && 'exists' in m) return m.exists === true;
    return values.some((v) => isScalar(v) && matchOne(m, v));
  });
}

function matchOne(m, v) {
  if (!isObject(m)) return m === v;
  const [kind] = Object.keys(m);
  const arg = m[kind];
  switch (kind) {
    case 'prefix':
      return typeof v === 'string' && v.startsWith(arg);
    case 'suffix':
      return typeof v === 'string' && v.endsWith(arg);
    case 'equals-ignore-case':
      return typeof v === 'string' && v.toLowerCase() === arg.toLowerCase();
    case 'anything-but':
      if (isObject(arg)) return !(typeof v === 'string' && v.startsWith(arg.prefix));
      return Array.isArray(arg) ? !arg.includes(v) : arg !== v;
    case 'numeric': {
      if (typeof v !== 'number') return false;
      for (let i = 0; i < arg.length; i += 2) {
        const n = arg[i + 1];
        const ok = { '=': v === n, '<': v < n, '<=': v <= n, '>': v > n, '>=': v >= n }[arg[i]];
        if (!ok) return false;
      }
      return true;
    }
    default:
      return false;
  }
}
