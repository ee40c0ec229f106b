import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';

const JSON_TYPES = ['application/json', 'application/*+json'];

/** A body-parser-style error the ErrorFilter turns into `{ error: { code, … } }`. */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, type, expose: true });
}

const hasBody = (req: Request): boolean => req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';

/**
 * Strict JSON bodies (objects or arrays at the top) within `limit`. Two fixes over the bare
 * parser: a body of another media type is 415 instead of being silently ignored, and a JSON
 * syntax error keeps its identity (Nest would turn the parser's SyntaxError into a generic 400).
 */
export function jsonBodies(limit: string): RequestHandler {
  const parse = json({ limit, strict: true, type: JSON_TYPES });
  return (req: Request, res: Response, next: NextFunction) => {
    if (hasBody(req) && !req.is(JSON_TYPES)) {
      next(bodyError(415, 'entity.unsupported.type', 'The request body must be JSON (content-type: application/json)'));
      return;
    }
    parse(req, res, (err?: unknown) => {
      if (err instanceof SyntaxError) next(bodyError(400, 'entity.parse.failed', err.message));
      else next(err);
    });
  };
}
