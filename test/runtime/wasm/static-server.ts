// A static file server on 127.0.0.1 for browser tests: serves one folder, with extra headers on
// every response (the cross-origin isolation headers, or none). Only GET and HEAD; nothing
// outside the folder.

import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm', // WebAssembly.compileStreaming would insist on it
  '.bin': 'application/octet-stream',
  '.ts': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** Paths requested that were not found (a page fetching something it should not). */
  readonly missing: readonly string[];
  close(): Promise<void>;
}

export async function serveFolder(folder: string, headers: Readonly<Record<string, string>> = {}): Promise<StaticServer> {
  const root = resolve(folder);
  const missing: string[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      const file = resolve(join(root, path.endsWith('/') ? `${path}index.html` : path));
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, headers).end();
        return;
      }
      if (file !== root && !file.startsWith(root + sep)) {
        response.writeHead(403, headers).end();
        return;
      }
      try {
        const body = await readFile(file);
        response.writeHead(200, { ...headers, 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : body);
      } catch {
        missing.push(path);
        response.writeHead(404, headers).end();
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('static server: no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    missing,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
