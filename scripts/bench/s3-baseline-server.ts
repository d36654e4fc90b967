// The transport baseline for scripts/bench/s3.ts: a minimal Bun.serve that streams a PUT
// body into one local file and a GET back out of it. No auth, no checks, no erasure.
// Usage: bun scripts/bench/s3-baseline-server.ts <dir>   (prints "listening <url>")
import { join } from 'node:path';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: s3-baseline-server.ts <dir>');
const pathOf = (url: string): string => join(dir, Buffer.from(new URL(url).pathname).toString('hex').slice(0, 200));

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  maxRequestBodySize: 1024 ** 3,
  development: false,
  async fetch(req) {
    const path = pathOf(req.url);
    if (req.method === 'PUT') {
      const sink = Bun.file(path).writer();
      if (req.body !== null) for await (const piece of req.body) sink.write(piece);
      await sink.end();
      return new Response(null, { status: 200 });
    }
    if (req.method === 'GET') return new Response(Bun.file(path));
    return new Response(null, { status: 405 });
  },
});
process.stdout.write(`listening http://127.0.0.1:${server.port}\n`);
