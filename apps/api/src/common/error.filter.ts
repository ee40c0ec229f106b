import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { DomainError, RateLimited, type ErrorKind } from './errors';

const STATUS: Record<ErrorKind, number> = {
  invalid: HttpStatus.UNPROCESSABLE_ENTITY,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
};

/** Codes for errors raised by Nest and Express themselves (routing, body parsing, validation). */
const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'route_not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_failed',
  429: 'rate_limited',
};

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/**
 * The one place where failures become HTTP responses, all in the shape
 * `{ error: { code, message, details } }`. Only a fault of Herald's own is a 500.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.translate(exception);
    if (exception instanceof RateLimited) res.setHeader('retry-after', String(exception.retryAfterSeconds));
    if (status === HttpStatus.SERVICE_UNAVAILABLE) res.setHeader('retry-after', '5');
    if (status === HttpStatus.UNAUTHORIZED) res.setHeader('www-authenticate', 'Bearer'); // RFC 9110 §11.6.1
    res.status(status).json(body);
  }

  private translate(exception: unknown): [number, ErrorBody] {
    if (exception instanceof DomainError) {
      return [STATUS[exception.kind], { error: { code: exception.code, message: exception.message, details: exception.details } }];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const fromPipe =
        typeof response === 'object' && response !== null ? (response as { message?: unknown; code?: string; details?: Record<string, unknown> }) : {};
      // ValidationPipe reports a list of messages; keep them as details.
      const messages = Array.isArray(fromPipe.message) ? (fromPipe.message as string[]) : undefined;
      const code = fromPipe.code ?? (messages ? 'validation_failed' : (HTTP_CODES[status] ?? 'http_error'));
      const message = messages ? 'The request is invalid' : typeof fromPipe.message === 'string' ? fromPipe.message : exception.message;
      const details = fromPipe.details ?? (messages ? { problems: messages } : {});
      return [status, { error: { code, message, details } }];
    }
    if (isBodyParserError(exception)) {
      const status = exception.status;
      const unreadable = exception.type === 'entity.parse.failed' || exception.type === 'entity.decode.failed';
      const code = status === 413 ? 'payload_too_large' : unreadable ? 'malformed_json' : (HTTP_CODES[status] ?? 'bad_request');
      const message =
        status === 413
          ? 'The request body is larger than allowed'
          : exception.type === 'entity.parse.failed'
            ? 'The request body is not valid JSON'
            : exception.type === 'entity.decode.failed'
              ? exception.message
              : exception.type === 'entity.unsupported.type'
                ? 'The request body must be JSON (content-type: application/json)'
                : 'The request body could not be read';
      return [status, { error: { code, message, details: {} } }];
    }
    if (isRefusedValue(exception)) {
      // A value Postgres cannot store (a NUL character in text, an out-of-range number): the client's input.
      return [
        HttpStatus.UNPROCESSABLE_ENTITY,
        { error: { code: 'invalid_value', message: 'A value in the request cannot be stored (e.g. a NUL character in a string)', details: {} } },
      ];
    }
    if (isUnavailable(exception)) {
      return [
        HttpStatus.SERVICE_UNAVAILABLE,
        { error: { code: 'service_unavailable', message: 'A dependency of Herald cannot be reached right now; retry the request', details: {} } },
      ];
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return [HttpStatus.INTERNAL_SERVER_ERROR, { error: { code: 'internal_error', message: 'Herald failed to handle the request', details: {} } }];
  }
}

/**
 * For the HTTP server's `clientError`: requests Node's parser refuses (request line or headers
 * over its 16 KiB limit, malformed HTTP) never reach Nest. Answered like Node would (431, 408 or
 * 400), but in the one error shape.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request line or headers are larger than allowed']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request took too long to arrive']
        : [400, 'bad_request', 'The request is not valid HTTP'];
  const body = JSON.stringify({ error: { code, message, details: {} } } satisfies ErrorBody);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function isBodyParserError(e: unknown): e is { status: number; type: string; message: string } {
  return typeof e === 'object' && e !== null && typeof (e as { status?: unknown }).status === 'number' && typeof (e as { type?: unknown }).type === 'string';
}

/** Postgres class 22 (data exception): the value itself is unacceptable. */
function isRefusedValue(e: unknown): boolean {
  return e instanceof QueryFailedError && /^22/.test(String((e as { driverError?: { code?: string } }).driverError?.code ?? ''));
}

/** Connection failures to Postgres or Temporal, which callers may retry. */
function isUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: string }).code ?? (e as { driverError?: { code?: string } }).driverError?.code;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '08000', '08003', '08006'].includes(code)) return true;
  if (e instanceof QueryFailedError) return false;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect/i.test(e.message);
}
