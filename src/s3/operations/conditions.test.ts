import { describe, expect, test } from 'bun:test';
import { etagMatches, evaluateConditions, writePrecondition, type ConditionHeaders } from './conditions.ts';
import { contentRange, parseRange, resolveRange } from './range.ts';
import { S3Error } from '../errors.ts';

const v = { etag: 'abc', modTimeMs: Date.parse('2026-01-01T00:00:00.500Z') };
const none: ConditionHeaders = { ifMatch: null, ifNoneMatch: null, ifModifiedSince: null, ifUnmodifiedSince: null };
const before = 'Wed, 31 Dec 2025 00:00:00 GMT';
const same = 'Thu, 01 Jan 2026 00:00:00 GMT';
const after = 'Fri, 02 Jan 2026 00:00:00 GMT';

describe('conditional reads', () => {
  test('etag lists, quotes, weak tags and *', () => {
    expect(etagMatches('"abc"', 'abc')).toBe(true);
    expect(etagMatches('abc', 'abc')).toBe(true);
    expect(etagMatches('"x", W/"abc"', 'abc')).toBe(true);
    expect(etagMatches('*', 'abc')).toBe(true);
    expect(etagMatches('"abd"', 'abc')).toBe(false);
  });

  test.each([
    [{ ifMatch: '"abc"' }, 'proceed'],
    [{ ifMatch: '"zzz"' }, 'precondition-failed'],
    [{ ifUnmodifiedSince: before }, 'precondition-failed'],
    [{ ifUnmodifiedSince: same }, 'proceed'], // second precision: not modified after
    [{ ifMatch: '"abc"', ifUnmodifiedSince: before }, 'proceed'],
    [{ ifNoneMatch: '"abc"' }, 'not-modified'],
    [{ ifNoneMatch: '"zzz"' }, 'proceed'],
    [{ ifModifiedSince: after }, 'not-modified'],
    [{ ifModifiedSince: same }, 'not-modified'],
    [{ ifModifiedSince: before }, 'proceed'],
    [{ ifNoneMatch: '"zzz"', ifModifiedSince: after }, 'proceed'],
    [{ ifMatch: '"zzz"', ifNoneMatch: '"abc"' }, 'precondition-failed'],
    [{ ifModifiedSince: 'not a date' }, 'proceed'],
  ] as const)('%p -> %s', (headers, outcome) => {
    expect(evaluateConditions({ ...none, ...headers }, v)).toBe(outcome);
  });
});

describe('conditional writes', () => {
  const h = (init: Record<string, string>): Headers => new Headers(init);
  const code = (fn: () => void): string => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      return e instanceof S3Error ? e.code : String(e);
    }
  };
  test('If-None-Match: * and If-Match', () => {
    expect(writePrecondition(h({}))).toBeUndefined();
    const create = writePrecondition(h({ 'if-none-match': '*' }));
    expect(code(() => create?.(null))).toBe('ok');
    expect(code(() => create?.({ etag: 'abc' }))).toBe('PreconditionFailed');
    const match = writePrecondition(h({ 'if-match': '"abc"' }));
    expect(code(() => match?.({ etag: 'abc' }))).toBe('ok');
    expect(code(() => match?.({ etag: 'abd' }))).toBe('PreconditionFailed');
    expect(code(() => match?.(null))).toBe('NoSuchKey');
    expect(code(() => writePrecondition(h({ 'if-none-match': '"abc"' })))).toBe('NotImplemented');
  });
});

describe('ranges', () => {
  test('parse and resolve', () => {
    expect(resolveRange(parseRange('bytes=0-9') ?? { kind: 'suffix', length: 0 }, 100)).toEqual({ offset: 0, length: 10 });
    expect(resolveRange(parseRange('bytes=90-') ?? { kind: 'suffix', length: 0 }, 100)).toEqual({ offset: 90, length: 10 });
    expect(resolveRange(parseRange('bytes=-10') ?? { kind: 'suffix', length: 0 }, 100)).toEqual({ offset: 90, length: 10 });
    expect(resolveRange(parseRange('bytes=-500') ?? { kind: 'suffix', length: 0 }, 100)).toEqual({ offset: 0, length: 100 });
    expect(resolveRange(parseRange('bytes=50-5000') ?? { kind: 'suffix', length: 0 }, 100)).toEqual({ offset: 50, length: 50 });
    for (const ignored of ['bytes=5-1', 'bytes=0-1,3-4', 'items=0-1', 'bytes=-', 'garbage']) expect(parseRange(ignored)).toBeUndefined();
    for (const [header, size] of [['bytes=100-', 100], ['bytes=-0', 100], ['bytes=0-', 0]] as const) {
      expect(() => resolveRange(parseRange(header) ?? { kind: 'suffix', length: 0 }, size)).toThrow(S3Error);
    }
    expect(contentRange({ offset: 2, length: 4 }, 10)).toBe('bytes 2-5/10');
  });
});
