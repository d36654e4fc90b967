// A call to the admin API signed with the server's root credentials (SigV4, body hash signed).
import { signRequest } from '../../src/s3/sigv4/index.ts';
import { systemClock } from '../../src/util/clock.ts';
import type { StartedServer } from './server.ts';

export async function adminCall(server: StartedServer, method: string, path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const signed = signRequest({ method, url: `${server.endpoint}/cairn/admin/v1${path}`, ...(text === undefined ? {} : { body: text }) }, { accessKey: server.accessKey, secretKey: server.secretKey }, systemClock);
  return fetch(signed.url, { method, headers: signed.headers, ...(text === undefined ? {} : { body: text }) });
}
