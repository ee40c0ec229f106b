import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** A path and a message per problem, as every 422 about a payload reports them. */
export interface SchemaProblem {
  path: string;
  message: string;
  keyword: string;
}

export const MAX_REPORTED_PROBLEMS = 20;

/**
 * Compiles an event type's JSON Schema (2020-12) into a validator; throws with Ajv's reason when
 * the schema is not valid. Each schema gets an Ajv instance of its own, so two types' `$id`s
 * cannot collide and a replaced version's compiled code is freed with its validator.
 */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  // Strict about what a schema says (an unknown keyword or format is a typo, refused), not about
  // how it says it: `required` without `properties`, or a type left implicit, are valid JSON Schema.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, strictTuples: false, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

/** The problems of the last validation, first ones first, at most MAX_REPORTED_PROBLEMS. */
export function schemaProblems(validate: ValidateFunction): SchemaProblem[] {
  return (validate.errors ?? []).slice(0, MAX_REPORTED_PROBLEMS).map(problem);
}

function problem(e: ErrorObject): SchemaProblem {
  const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty: string }).missingProperty)}` : '';
  const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty: string }).additionalProperty)}` : '';
  return { path: `${e.instancePath}${missing}${extra}` || '/', message: e.message ?? e.keyword, keyword: e.keyword };
}
