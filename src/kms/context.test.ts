import { describe, expect, test } from 'bun:test';
import { contextEntriesMax, contextValueBytesMax, encodeContext, encodeContextBase64, validateContext } from './context.ts';
import { KmsError } from './types.ts';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function expectInvalid(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KmsError);
    expect((error as KmsError).code).toBe('InvalidContext');
    return;
  }
  throw new Error('expected InvalidContext');
}

describe('encryption context', () => {
  test('canonical JSON sorts keys by UTF-8 bytes and is insertion-order independent', () => {
    const a = encodeContext({ 'b': '2', 'a': '1', 'é': 'x', 'Z': 'z' });
    const b = encodeContext({ 'Z': 'z', 'é': 'x', 'a': '1', 'b': '2' });
    expect(text(a)).toBe('{"Z":"z","a":"1","b":"2","é":"x"}');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  test('empty context and escaping', () => {
    expect(text(encodeContext({}))).toBe('{}');
    expect(text(encodeContext({ 'bucket/key': 'a "q"\n' }))).toBe('{"bucket/key":"a \\"q\\"\\n"}');
    expect(Buffer.from(encodeContextBase64({ a: 'b' }), 'base64').toString()).toBe('{"a":"b"}');
  });

  test('rejects non-objects, non-string values, empty keys and lone surrogates', () => {
    expectInvalid(() => validateContext(null));
    expectInvalid(() => validateContext(['a']));
    expectInvalid(() => validateContext('x'));
    expectInvalid(() => validateContext({ a: 1 }));
    expectInvalid(() => validateContext({ '': 'x' }));
    expectInvalid(() => validateContext({ a: '\ud800' }));
  });

  test('bounds entry count and sizes', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i <= contextEntriesMax; i++) many[`k${i}`] = 'v';
    expectInvalid(() => validateContext(many));
    expectInvalid(() => validateContext({ a: 'x'.repeat(contextValueBytesMax + 1) }));
    expect(() => validateContext({ a: 'x'.repeat(contextValueBytesMax) })).not.toThrow();
  });
});
