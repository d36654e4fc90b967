import { describe, expect, test } from 'bun:test';
import { applyResponseOverrides, headerValueOf, metaFromHeaders, metaHeaders } from './meta.ts';

/** A header value as the HTTP layer hands it over: one character per byte received. */
const onWire = (text: string, encoding: BufferEncoding = 'utf8'): string => Buffer.from(text, encoding).toString('latin1');

describe('metadata headers', () => {
  test('UTF-8 bytes are stored as the text they encode; other bytes as received', () => {
    const meta = metaFromHeaders(new Headers({ 'x-amz-meta-city': onWire('Zürich'), 'x-amz-meta-price': onWire('5 €'), 'x-amz-meta-old': onWire('Größe', 'latin1'), 'content-disposition': onWire('attachment; filename="naïve.txt"') }), 2048);
    expect(meta['x-amz-meta-city']).toBe('Zürich');
    expect(meta['x-amz-meta-price']).toBe('5 €');
    expect(meta['x-amz-meta-old']).toBe('Größe');
    expect(meta['content-disposition']).toBe('attachment; filename="naïve.txt"');
  });

  test('the 2 KiB limit counts the bytes sent', () => {
    const value = onWire('é'.repeat(1000)); // 2000 bytes
    expect(() => metaFromHeaders(new Headers({ 'x-amz-meta-a': value }), 2048)).not.toThrow();
    expect(() => metaFromHeaders(new Headers({ 'x-amz-meta-abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx': value }), 2048)).toThrow('metadata');
  });

  test('latin-1 text goes out as is, anything beyond as an RFC 2047 word; every value fits a header', () => {
    expect(headerValueOf('plain')).toBe('plain');
    expect(headerValueOf('Zürich')).toBe('Zürich');
    expect(headerValueOf('5 €')).toBe(`=?UTF-8?B?${Buffer.from('5 €').toString('base64')}?=`);
    const out = metaHeaders({ 'x-amz-meta-a': 'Zürich', 'x-amz-meta-b': '日本', 'content-type': 'text/plain' });
    expect(() => new Headers(out)).not.toThrow();
    expect(out['x-amz-meta-b']).toBe(`=?UTF-8?B?${Buffer.from('日本').toString('base64')}?=`);
  });
});

test('response-content-disposition with any text is sent as its UTF-8 bytes, never breaking the headers', () => {
  const headers: Record<string, string> = {};
  applyResponseOverrides(headers, new URLSearchParams({ 'response-content-disposition': 'attachment; filename="5 €.txt"', 'response-content-type': 'text/plain' }));
  expect(() => new Headers(headers)).not.toThrow();
  expect(Buffer.from(headers['content-disposition']!, 'latin1').toString('utf8')).toBe('attachment; filename="5 €.txt"');
  expect(headers['content-type']).toBe('text/plain');
});
