/**
 * Payload filters, as Hookdeck Outpost documents them: a JSON object that mirrors the event's
 * shape (`type`, `templateId`, `tenantId`, `data`), with operators at the leaves.
 *
 *   { "data": { "metadata": { "env": { "$eq": "prod" } } } }
 *   { "$or": [ { "type": "video.render.completed" }, { "data": { "duration": { "$gte": 60 } } } ] }
 *
 * A plain value is `$eq`. Keys that do not start with `$` descend into the event; an object
 * holds either operators or fields, never both. Against an array field, `$eq` and `$in` match
 * when an element does. `$neq`/`$nin` also match an absent field; every other comparison needs
 * the field present. `$gt/$gte/$lt/$lte` compare numbers with numbers and strings with strings
 * (ISO timestamps sort as strings); mixed types never match. Pure: the API validates with
 * `filterProblem` (422 naming the path), matching evaluates with `matchesFilter`.
 */

export type PayloadFilter = Record<string, unknown>;

/** What a filter sees of an event. */
export interface FilterableEvent {
  type: string;
  templateId: string | null;
  tenantId?: string | null;
  data: Record<string, unknown>;
}

export const FILTER_ROOT_FIELDS = ['type', 'templateId', 'tenantId', 'data'] as const;
export const FILTER_OPERATORS = ['$eq', '$neq', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$startsWith', '$and', '$or', '$not'] as const;
export const FILTER_MAX_BYTES = 8 * 1024;
export const FILTER_MAX_DEPTH = 16;
export const FILTER_MAX_LIST = 100;

export interface FilterProblem {
  /** JSON Pointer into the filter, e.g. `/data/metadata/env/$eq`. */
  path: string;
  message: string;
}

/** An absent, null or `{}` filter matches every event: it is stored as null. */
export function isEmptyFilter(filter: unknown): boolean {
  return filter === undefined || filter === null || (isPlainObject(filter) && Object.keys(filter).length === 0);
}

/** The first problem of a filter, or undefined when it is valid. */
export function filterProblem(filter: unknown): FilterProblem | undefined {
  if (!isPlainObject(filter)) return { path: '', message: 'filter must be a JSON object' };
  const bytes = new TextEncoder().encode(JSON.stringify(filter)).length;
  if (bytes > FILTER_MAX_BYTES) return { path: '', message: `filter is ${bytes} bytes of JSON; at most ${FILTER_MAX_BYTES} are allowed` };
  return checkNode(filter, '', 0, true);
}

function checkNode(node: Record<string, unknown>, path: string, depth: number, root: boolean): FilterProblem | undefined {
  if (depth > FILTER_MAX_DEPTH) return { path, message: `filter is nested deeper than ${FILTER_MAX_DEPTH} levels` };
  const keys = Object.keys(node);
  const ops = keys.filter((k) => k.startsWith('$'));
  const fields = keys.filter((k) => !k.startsWith('$'));
  const logical: string[] = ops.filter((k) => k === '$and' || k === '$or' || k === '$not');
  // At a field, operators and sub-fields cannot mix; at the root (and inside $and/$or/$not of
  // the root) only the logical operators sit beside the event's fields.
  if (root) {
    const comparison = ops.find((k) => !logical.includes(k));
    if (comparison)
      return { path: `${path}/${escape(comparison)}`, message: `${comparison} needs a field: put it under one of ${FILTER_ROOT_FIELDS.join(', ')}` };
    const unknown = fields.find((k) => !(FILTER_ROOT_FIELDS as readonly string[]).includes(k));
    if (unknown !== undefined)
      return { path: `${path}/${escape(unknown)}`, message: `unknown field ${JSON.stringify(unknown)}: a filter starts at ${FILTER_ROOT_FIELDS.join(', ')}` };
  } else if (ops.length > 0 && fields.length > 0) {
    return { path: `${path}/${escape(fields[0])}`, message: 'an object holds either operators or fields, not both' };
  }
  for (const key of ops) {
    const at = `${path}/${escape(key)}`;
    const problem = checkOperator(key, node[key], at, depth, root);
    if (problem) return problem;
  }
  for (const key of fields) {
    const at = `${path}/${escape(key)}`;
    const value = node[key];
    if (isPlainObject(value)) {
      if (root && key !== 'data' && Object.keys(value).some((k) => !k.startsWith('$')))
        return { path: at, message: `${key} is a string: compare it with operators, not fields` };
      const problem = checkNode(value, at, depth + 1, false);
      if (problem) return problem;
    } else if (!isScalar(value) && !Array.isArray(value)) {
      return { path: at, message: 'a value must be a string, number, boolean, null, array or an object of operators/fields' };
    }
  }
  return undefined;
}

function checkOperator(op: string, operand: unknown, at: string, depth: number, root: boolean): FilterProblem | undefined {
  switch (op) {
    case '$eq':
    case '$neq':
      return isScalar(operand) ? undefined : { path: at, message: `${op} takes a string, number, boolean or null` };
    case '$in':
    case '$nin':
      if (!Array.isArray(operand) || operand.length === 0 || operand.length > FILTER_MAX_LIST)
        return { path: at, message: `${op} takes a list of 1 to ${FILTER_MAX_LIST} values` };
      return operand.every(isScalar) ? undefined : { path: at, message: `${op} takes strings, numbers, booleans or null` };
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return (typeof operand === 'number' && Number.isFinite(operand)) || typeof operand === 'string'
        ? undefined
        : { path: at, message: `${op} takes a number or a string` };
    case '$exists':
      return typeof operand === 'boolean' ? undefined : { path: at, message: '$exists takes true or false' };
    case '$startsWith':
      return typeof operand === 'string' ? undefined : { path: at, message: '$startsWith takes a string' };
    case '$and':
    case '$or': {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length > FILTER_MAX_LIST)
        return { path: at, message: `${op} takes a list of 1 to ${FILTER_MAX_LIST} filters` };
      for (const [i, sub] of operand.entries()) {
        if (!isPlainObject(sub) || Object.keys(sub).length === 0) return { path: `${at}/${i}`, message: `each entry of ${op} is a non-empty object` };
        const problem = checkNode(sub, `${at}/${i}`, depth + 1, root);
        if (problem) return problem;
      }
      return undefined;
    }
    case '$not':
      if (!isPlainObject(operand) || Object.keys(operand).length === 0) return { path: at, message: '$not takes a non-empty object' };
      return checkNode(operand, at, depth + 1, root);
    default:
      return { path: at, message: `unknown operator ${op} (one of ${FILTER_OPERATORS.join(' ')})` };
  }
}

/** Whether the event passes the filter; an empty filter passes everything. Assumes `filterProblem` found none. */
export function matchesFilter(filter: PayloadFilter | null | undefined, event: FilterableEvent): boolean {
  if (isEmptyFilter(filter)) return true;
  // No template or tenant is an absent field (`$exists: false`), like any field the event lacks.
  const root: Record<string, unknown> = { type: event.type, data: event.data };
  if (event.templateId != null) root.templateId = event.templateId;
  if (event.tenantId != null) root.tenantId = event.tenantId;
  return matchNode(filter as PayloadFilter, { present: true, value: root });
}

interface Field {
  present: boolean;
  value: unknown;
}

function matchNode(node: Record<string, unknown>, field: Field): boolean {
  return Object.entries(node).every(([key, expected]) => {
    if (key.startsWith('$')) return matchOperator(key, expected, field);
    const child = childOf(field, key);
    if (isPlainObject(expected)) return matchNode(expected, child);
    return equals(child, expected);
  });
}

function childOf(field: Field, key: string): Field {
  if (!field.present || !isPlainObject(field.value) || !Object.prototype.hasOwnProperty.call(field.value, key)) return { present: false, value: undefined };
  return { present: true, value: field.value[key] };
}

function matchOperator(op: string, operand: unknown, field: Field): boolean {
  switch (op) {
    case '$eq':
      return equals(field, operand);
    case '$neq':
      return !equals(field, operand);
    case '$in':
      return (operand as unknown[]).some((v) => equals(field, v));
    case '$nin':
      return !(operand as unknown[]).some((v) => equals(field, v));
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return field.present && compare(op, field.value, operand);
    case '$exists':
      return field.present === operand;
    case '$startsWith':
      return field.present && typeof field.value === 'string' && field.value.startsWith(operand as string);
    case '$and':
      return (operand as Record<string, unknown>[]).every((f) => matchNode(f, field));
    case '$or':
      return (operand as Record<string, unknown>[]).some((f) => matchNode(f, field));
    case '$not':
      return !matchNode(operand as Record<string, unknown>, field);
    default:
      return false;
  }
}

/** Scalar equality; an array field matches when it equals the array given or holds the value. */
function equals(field: Field, expected: unknown): boolean {
  if (!field.present) return false;
  const actual = field.value;
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && actual.every((v, i) => deepEqual(v, expected[i]));
  if (Array.isArray(actual)) return actual.some((v) => deepEqual(v, expected));
  return deepEqual(actual, expected);
}

function compare(op: string, actual: unknown, operand: unknown): boolean {
  if (typeof actual !== typeof operand || (typeof actual !== 'number' && typeof actual !== 'string')) return false;
  const a = actual as number | string;
  const b = operand as number | string;
  return op === '$gt' ? a > b : op === '$gte' ? a >= b : op === '$lt' ? a < b : a <= b;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON Pointer escaping (RFC 6901). */
function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
