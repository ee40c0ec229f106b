import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Config } from '../config/config';

export type { Logger } from 'pino';
export type LogLevel = Config['logLevel'];
export type LogFormat = Config['logFormat'];

/**
 * The logging rule: log ids (evt_, dlv_, sub_, atm_, dlq_), statuses, attempt numbers and
 * durations; never secrets, signatures, tokens, header values or payload bodies. Redaction is the
 * safety net for the rule, not a licence to log whole objects.
 */
const SECRET_KEYS = [
  'secret',
  'secrets',
  'previousSecret',
  'secretKey',
  'password',
  'token',
  'adminToken',
  'ingestToken',
  'apiKey',
  'authorization',
  'cookie',
  '["webhook-signature"]',
  'sealedRequest',
];
/** Payload bodies and what customers put in them. */
const PAYLOAD_KEYS = ['body', 'payload', 'data', 'userDefined', 'user_defined', 'responseExcerpt'];
/** Every header value (authorization, webhook-signature, a subscription's custom headers): the names stay. */
const HEADER_OBJECTS = ['headers', 'customHeaders'];

const atDepths = (key: string): string[] => {
  const join = (prefix: string): string => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
  return [key, join('*'), join('*.*')];
};

export const REDACTED = '[redacted]';
export const REDACT_PATHS: readonly string[] = [
  ...[...SECRET_KEYS, ...PAYLOAD_KEYS].flatMap(atDepths),
  ...HEADER_OBJECTS.flatMap((h) => [`${h}.*`, `*.${h}.*`, `*.*.${h}.*`]),
];

/**
 * Where log records go: JSON lines on stdout, or (`pretty`, and `auto` when stdout is a
 * terminal) one human-readable line each — `12:00:00.000 INFO (herald-worker): worker polling
 * {"taskQueue":…}`. Redaction happens before either, so both show the same fields.
 */
export function logDestination(format: LogFormat = 'auto', output?: NodeJS.WritableStream): DestinationStream | undefined {
  if (format === 'json' || (format === 'auto' && !process.stdout.isTTY)) return undefined;
  // sync: lines stay in order with what the dev stack prints itself, and none is lost at exit.
  return pretty({ sync: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: output });
}

/**
 * The logger of one Herald process (`api`, `worker`, `dev-stack`): one record per line on stdout
 * with an ISO time, a level label and the component name; JSON unless `destination` (a stream,
 * or a format for logDestination) says otherwise.
 */
export function createLogger(name: string, level: LogLevel = 'info', destination: DestinationStream | LogFormat = 'auto'): Logger {
  const options: pino.LoggerOptions = {
    name: `herald-${name}`,
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  const stream = typeof destination === 'string' ? logDestination(destination) : destination;
  return stream ? pino(options, stream) : pino(options);
}

const TEMPORAL_LEVELS: Record<TemporalLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logger interface over pino, for `Runtime.install({ logger })`: SDK, workflow
 * and activity log records become JSON lines with their workflowId / activityType metadata.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const sdk = logger.child({ component: 'temporal-sdk' });
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata): void => {
    // Symbol keys (the SDK's nanosecond timestamp) are dropped; pino stamps its own time.
    const fields = meta ? Object.fromEntries(Object.entries(meta)) : {};
    sdk[TEMPORAL_LEVELS[level]](fields, message);
  };
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/** Temporal's level names for a Herald log level, to filter what the SDK's native core forwards. */
export function temporalLevel(level: LogLevel): TemporalLogLevel {
  switch (level) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR';
  }
}
