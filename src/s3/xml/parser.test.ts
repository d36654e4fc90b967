import { describe, expect, test } from 'bun:test';
import { S3Error } from '../errors.ts';
import { parseXml } from './parser.ts';
import { parseCompleteMultipartUpload, parseCreateBucketConfiguration, parseDelete } from './bodies.ts';
import { el, escapeXml, xmlDocument } from './writer.ts';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof S3Error ? e.code : `not S3Error: ${String(e)}`;
  }
  return 'no error';
}

describe('xml parser', () => {
  test('parses nested elements, entities, CDATA and namespace prefixes', () => {
    const t = parseXml('<?xml version="1.0"?><a xmlns="x"><s3:b>1 &amp; 2 &#x41;&#66;</s3:b><c><![CDATA[<raw>]]></c><d/></a>');
    expect(t.name).toBe('a');
    expect(t.children.map((c) => c.name)).toEqual(['b', 'c', 'd']);
    expect(t.children[0]?.text).toBe('1 & 2 AB');
    expect(t.children[1]?.text).toBe('<raw>');
  });

  test.each([
    ['', 'empty'],
    ['<a>', 'unclosed'],
    ['<a></b>', 'mismatched'],
    ['<a/><b/>', 'two roots'],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a/>', 'doctype'],
    ['<a>&bogus;</a>', 'unknown entity'],
    ['<a>& b</a>', 'bare ampersand'],
    ['text<a/>', 'text outside root'],
    ['<a b=c/>', 'unquoted attribute'],
  ])('rejects %p (%s)', (xml) => {
    expect(code(() => parseXml(xml))).toBe('MalformedXML');
  });

  test('bounds depth', () => {
    expect(code(() => parseXml('<a>'.repeat(40) + '</a>'.repeat(40)))).toBe('MalformedXML');
  });
});

describe('request bodies', () => {
  test('CompleteMultipartUpload', () => {
    const parts = parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><ETag>&quot;def&quot;</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>');
    expect(parts).toEqual([
      { partNumber: 1, etag: 'abc', checksums: { crc32: 'AAAAAA==' } },
      { partNumber: 2, etag: 'def', checksums: {} },
    ]);
    expect(code(() => parseCompleteMultipartUpload('<CompleteMultipartUpload></CompleteMultipartUpload>'))).toBe('MalformedXML');
    expect(code(() => parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>'))).toBe('MalformedXML');
    expect(code(() => parseCompleteMultipartUpload('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>'))).toBe('MalformedXML');
    expect(code(() => parseCompleteMultipartUpload('<Other/>'))).toBe('MalformedXML');
  });

  test('Delete keeps key whitespace and bounds the count', () => {
    const d = parseDelete('<Delete><Quiet>true</Quiet><Object><Key> a b </Key></Object><Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>');
    expect(d).toEqual({ quiet: true, objects: [{ key: ' a b ', versionId: undefined }, { key: 'c', versionId: 'null' }] });
    const many = '<Delete>' + '<Object><Key>k</Key></Object>'.repeat(1001) + '</Delete>';
    expect(code(() => parseDelete(many))).toBe('MalformedXML');
    expect(code(() => parseDelete('<Delete><Quiet>maybe</Quiet><Object><Key>k</Key></Object></Delete>'))).toBe('MalformedXML');
  });

  test('CreateBucketConfiguration', () => {
    expect(parseCreateBucketConfiguration('')).toBe('');
    expect(parseCreateBucketConfiguration('<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>')).toBe('eu-west-1');
    expect(code(() => parseCreateBucketConfiguration('<CreateBucketConfiguration><Foo/></CreateBucketConfiguration>'))).toBe('MalformedXML');
  });
});

describe('xml writer', () => {
  test('escapes and round-trips through the parser', () => {
    const key = 'a<b>&"c\'\x01\td';
    const doc = xmlDocument(el('R', el('Key', key)));
    expect(doc).toContain(escapeXml(key));
    expect(parseXml(doc).children[0]?.text).toBe(key);
  });
});
