/**
 * Something the dev stack needs is missing or taken (a binary, a port, a user). Its message is
 * one line that says what to do; entry points print it as it is, without a stack trace.
 */
export class StackError extends Error {
  override readonly name = 'StackError';
}

/**
 * For entry points (`npm start`, `npm test`, `npm run bench`): one line for a StackError, the
 * whole error otherwise (that is a bug, and its stack is what finds it).
 */
export function describeFailure(err: unknown): string {
  if (err instanceof StackError) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
