import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../../../libs/config/config';

/** Where `scripts/bootstrap.sh` builds apps/console (Vite): dist/console, beside the compiled API. */
export const CONSOLE_DIR = resolve(__dirname, '..', '..', '..', '..', 'console');
export const CONSOLE_PATH = '/console';

/**
 * The console's security headers. Everything it loads is its own (`'self'`), it runs no inline
 * script or style, and it talks only to this API. It may not be framed unless the platform named
 * the origins that may (HERALD_CONSOLE_FRAME_ANCESTORS).
 */
export function consoleHeaders(frameAncestors: readonly string[]): Record<string, string> {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    ...(frameAncestors.length === 0 ? { 'x-frame-options': 'DENY' } : {}),
  };
}

/**
 * Serves the built console as static files at /console. The files hold no secret (the token
 * lives in the browser's sessionStorage), so no auth guard applies; every call the console makes
 * goes to the /v1 API with that token.
 */
export function serveConsole(app: NestExpressApplication, config: Config, dir = CONSOLE_DIR): void {
  const headers = consoleHeaders(config.console.frameAncestors);
  app.use(CONSOLE_PATH, (req: Request, res: Response, next: NextFunction) => {
    res.set(headers);
    // index.html must be revalidated to pick up a new build; assets carry a content hash.
    res.set('cache-control', req.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    next();
  });
  if (existsSync(join(dir, 'index.html'))) {
    app.useStaticAssets(dir, { prefix: CONSOLE_PATH, index: 'index.html', redirect: true, dotfiles: 'ignore', fallthrough: true });
  } else {
    app.use(CONSOLE_PATH, (_req: Request, res: Response) => {
      res.status(503).type('text/plain').send('The console is not built: run scripts/bootstrap.sh (it builds apps/console into dist/console).\n');
    });
  }
}
