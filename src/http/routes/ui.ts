import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { NotFoundError } from '../../errors.js';
import { uiDir } from '../../paths.js';
import type { Guards } from '../auth.js';
import { checkRequest } from '../validation.js';
import { createRouter } from '../routing.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page may run only its own files: no inline script or style (so stored text that reached the
 * DOM as markup still could not run), no other origin, no plugin, no framing, no form posted
 * anywhere; it talks to this origin only.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface UiFile {
  type: string;
  body: Buffer;
}

/**
 * The built page, read once into memory: the file names are the only paths under /ui/ that exist,
 * so a request names one of them or gets a 404 (never a lookup on disk, so no `..` can reach
 * further). index.html is served as /ui/ alone: one spelling per page.
 */
function readBuiltPage(): Map<string, UiFile> | undefined {
  if (!existsSync(join(uiDir, 'index.html'))) return undefined;
  const files = new Map<string, UiFile>();
  for (const entry of readdirSync(uiDir, { withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (entry.isFile() && type) files.set(entry.name, { type, body: readFileSync(join(uiDir, entry.name)) });
  }
  return files;
}

/** The history page: static files of this package, open to everyone (its API calls need a key). */
export function uiRoutes(access: Guards): Router {
  const router = createRouter();
  const files = readBuiltPage();

  function send(c: Context, name: string): void {
    if (!files) throw new NotFoundError('the history page is not built: run `npm run build`');
    const file = files.get(name);
    if (!file) throw new NotFoundError(`there is no file /ui/${name}`);
    secure(c);
    c.type = file.type;
    c.body = file.body;
  }

  router.get('/ui', access.public, (c) => {
    checkRequest(c, 'historyPageRedirect');
    secure(c);
    c.status = 301;
    c.set('Location', '/ui/');
  });

  router.get('/ui/', access.public, (c) => {
    checkRequest(c, 'historyPage');
    send(c, 'index.html');
  });

  router.get('/ui/:file', access.public, (c) => {
    const { path } = checkRequest(c, 'historyPageFile');
    if (path.file === 'index.html') throw new NotFoundError('the page is /ui/');
    send(c, path.file);
  });

  return router;
}

function secure(c: Context): void {
  c.set('Content-Security-Policy', UI_CONTENT_SECURITY_POLICY);
  c.set('X-Content-Type-Options', 'nosniff');
  c.set('Referrer-Policy', 'no-referrer');
  // Revalidated on every load: a new build is seen at once.
  c.set('Cache-Control', 'no-cache');
}
