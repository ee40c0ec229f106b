import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { ValidationFailed } from './errors';

const JSON_TYPES = ['application/json', 'application/*+json'];

/** Deeper than any real payload; Nest's ValidationPipe and class-transformer recurse, so deeper is refused first. */
export const MAX_BODY_DEPTH = 64;
/**
 * Keys that reach or replace a prototype (`__proto__`, `constructor`, `prototype`) or shadow an
 * Object.prototype member (`toString`, `hasOwnProperty`, …). Refused loudly: Nest strips the
 * first three without a word, class-transformer drops the others, and TypeORM's merge of a
 * jsonb value loses any of them whose value is an object.
 */
const PROTOTYPE_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
/** A lone surrogate (stored as U+FFFD, i.e. silently changed) or NUL (Postgres stores neither). */
const UNSTORABLE = /[\p{Cs}\0]/u;

/** A body-parser-style error the ErrorFilter turns into `{ error: { code, … } }`. */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, type, expose: true });
}

const hasBody = (req: Request): boolean => req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';

/** JSON text is UTF-8 (RFC 8259); the parser would otherwise turn bad bytes into U+FFFD and carry on. */
function verifyUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (encoding.toLowerCase() === 'utf-8' && !isUtf8(buf)) throw bodyError(400, 'entity.decode.failed', 'The request body is not valid UTF-8');
}

const pointer = (path: string, key: string): string => `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * What is wrong with a parsed body, if anything: not an object at the top, nested too deep, a
 * prototype key, or a string Postgres cannot keep as sent. Iterative, so depth cannot overflow it.
 */
function bodyProblem(body: unknown): ValidationFailed | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return new ValidationFailed('The request body must be a JSON object');
  const pending: [value: unknown, path: string, depth: number][] = [[body, '', 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path, depth] = next;
    if (typeof value === 'string' && UNSTORABLE.test(value)) {
      return new ValidationFailed('A string in the request contains a NUL character or a lone surrogate', { path }, 'invalid_value');
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH)
      return new ValidationFailed(`The request body nests deeper than ${MAX_BODY_DEPTH} levels`, { path, limit: MAX_BODY_DEPTH }, 'too_deep');
    const isArray = Array.isArray(value);
    for (const [key, child] of Object.entries(value)) {
      if (!isArray && PROTOTYPE_KEYS.has(key))
        return new ValidationFailed(
          `The key ${JSON.stringify(key)} names a JavaScript prototype member and is not allowed anywhere in a request`,
          { path: pointer(path, key), key },
          'forbidden_key',
        );
      if (!isArray && UNSTORABLE.test(key))
        return new ValidationFailed('A key in the request contains a NUL character or a lone surrogate', { path }, 'invalid_value');
      pending.push([child, pointer(path, key), depth + 1]);
    }
  }
  return undefined;
}

/**
 * JSON object bodies within `limit`. Fixes over the bare parser: a body of another media type is
 * 415 instead of being silently ignored; a syntax, UTF-8 or content-encoding error is a 400 that
 * keeps its identity (Nest would make a generic 400, a corrupt gzip stream even a 500); and a
 * well-formed body that is no object or carries the problems of `bodyProblem` is a 422.
 */
export function jsonBodies(limit: string): RequestHandler {
  const parse = json({ limit, strict: false, type: JSON_TYPES, verify: verifyUtf8 });
  return (req: Request, res: Response, next: NextFunction) => {
    if (hasBody(req) && !req.is(JSON_TYPES)) {
      next(bodyError(415, 'entity.unsupported.type', 'The request body must be JSON (content-type: application/json)'));
      return;
    }
    parse(req, res, (err?: unknown) => {
      if (err instanceof SyntaxError) next(bodyError(400, 'entity.parse.failed', err.message));
      else if (err && (err as { type?: unknown }).type === undefined && (err as { status?: unknown }).status === 400)
        next(bodyError(400, 'entity.decode.failed', 'The request body could not be decompressed as its content-encoding says'));
      else if (err) next(err);
      else next(req.body === undefined ? undefined : bodyProblem(req.body));
    });
  };
}

/**
 * For write routes that take no body: none or `{}` passes, any field is refused like an unknown
 * DTO property (422), so e.g. a filter sent to a single retry is never silently ignored.
 */
export const NoBody = createParamDecorator((_: unknown, ctx: ExecutionContext): undefined => {
  const body = ctx.switchToHttp().getRequest<Request>().body as Record<string, unknown> | undefined;
  const fields = Object.keys(body ?? {});
  if (fields.length > 0)
    throw new ValidationFailed('The request is invalid', { problems: fields.map((f) => `property ${f} should not exist (this route takes no body)`) });
  return undefined;
});

/** A JSON field kept small (it travels in every payload or view): 422 with `code` when its JSON is over `limit` bytes. */
export function checkJsonSize<T>(value: T, field: string, limit: number, code: string): T {
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > limit) throw new ValidationFailed(`${field} is ${bytes} bytes of JSON; at most ${limit} are allowed`, { field, bytes, limit }, code);
  return value;
}
