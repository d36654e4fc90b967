// SigV4-signed browser-form (PostObject) fields, built with the documented algorithm
// (AWS's "Browser-Based Uploads Using POST").
import { createHmac } from 'node:crypto';

const hmac = (key: Uint8Array | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

export interface PostSigner {
  accessKey: string;
  secretKey: string;
  region: string;
}

export function signedPostFields(signer: PostSigner, bucket: string, conditions: unknown[], opts: { expiresInMs?: number; expiration?: string; extra?: Record<string, string> } = {}): Record<string, string> {
  const now = new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const credential = `${signer.accessKey}/${date}/${signer.region}/s3/aws4_request`;
  const fields: Record<string, string> = { 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': amzDate, ...opts.extra };
  const policy = Buffer.from(JSON.stringify({
    expiration: opts.expiration ?? new Date(now.getTime() + (opts.expiresInMs ?? 600_000)).toISOString(),
    conditions: [{ bucket }, ...conditions, { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': amzDate }],
  })).toString('base64');
  const key = hmac(hmac(hmac(hmac(`AWS4${signer.secretKey}`, date), signer.region), 's3'), 'aws4_request');
  return { ...fields, policy, 'x-amz-signature': createHmac('sha256', key).update(policy).digest('hex') };
}

/** Posts the fields and a file as multipart/form-data, as a browser does. */
export async function postForm(url: string, fields: Record<string, string>, file: Uint8Array | string, opts: { filename?: string; after?: Record<string, string> } = {}): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([file], { type: 'text/plain' }), opts.filename ?? 'file.txt');
  for (const [k, v] of Object.entries(opts.after ?? {})) form.append(k, v);
  return fetch(url, { method: 'POST', body: form, redirect: 'manual' });
}
