// Building S3 responses: XML documents, error bodies, and the headers every answer carries.
import { S3Error, type S3ErrorCode } from './errors.ts';
import { el, xmlDocument, type XmlElement } from './xml/writer.ts';

export const xmlContentType = 'application/xml';

export function xmlResponse(root: XmlElement, status = 200, headers: Record<string, string> = {}): Response {
  const body = Buffer.from(xmlDocument(root), 'utf8');
  return new Response(body, { status, headers: { 'content-type': xmlContentType, 'content-length': String(body.length), ...headers } });
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { 'content-length': '0', ...headers } });
}

export interface ErrorDescription {
  code: S3ErrorCode;
  status: number;
  message: string;
  extra: Readonly<Record<string, string>>;
}

export function describeError(e: S3Error): ErrorDescription {
  return { code: e.code, status: e.status, message: e.message, extra: e.extra };
}

/** S3 error XML; HEAD answers and 304 carry no body. */
export function errorResponse(err: ErrorDescription, resource: string, requestId: string, method: string, hostId: string): Response {
  const headers: Record<string, string> = { 'x-amz-request-id': requestId, 'x-amz-id-2': hostId };
  if (err.status === 304) return new Response(null, { status: 304, headers });
  if (method === 'HEAD') {
    headers['x-amz-error-code'] = err.code;
    return new Response(null, { status: err.status, headers });
  }
  const extra = Object.entries(err.extra).map(([k, v]) => el(k, v));
  const doc = xmlDocument(el('Error', el('Code', err.code), el('Message', err.message), extra, el('Resource', resource), el('RequestId', requestId), el('HostId', hostId)), false);
  const body = Buffer.from(doc, 'utf8');
  headers['content-type'] = xmlContentType;
  headers['content-length'] = String(body.length);
  return new Response(body, { status: err.status, headers });
}

/** RFC 7231 date, as S3 prints Last-Modified. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
