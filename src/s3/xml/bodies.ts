// Typed readers for the XML request bodies S3 accepts. Each validates shape and
// counts strictly and throws MalformedXML (or the specific S3 code) on anything else.
import { S3Error } from '../errors.ts';
import { childrenNamed, onlyChildren, optionalChild, parseXml, requiredChild, type XmlTree } from './parser.ts';

export const partNumberMax = 10_000;
export const deleteKeysMax = 1000;

export interface CompletePartSpec {
  partNumber: number;
  etag: string;
  checksums: Record<string, string>;
}

const checksumElements = ['ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256'] as const;

function root(text: string, name: string): XmlTree {
  const tree = parseXml(text);
  if (tree.name !== name) throw new S3Error('MalformedXML');
  return tree;
}

/** ETags arrive quoted or not, sometimes XML-escaped quotes; compare without quotes. */
export function unquoteEtag(etag: string): string {
  const t = etag.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

export function parseCompleteMultipartUpload(text: string): CompletePartSpec[] {
  const tree = root(text, 'CompleteMultipartUpload');
  onlyChildren(tree, ['Part']);
  const parts = childrenNamed(tree, 'Part').map((p): CompletePartSpec => {
    onlyChildren(p, ['PartNumber', 'ETag', ...checksumElements]);
    const numberText = requiredChild(p, 'PartNumber').text.trim();
    if (!/^\d{1,5}$/.test(numberText)) throw new S3Error('MalformedXML');
    const partNumber = Number(numberText);
    if (partNumber < 1 || partNumber > partNumberMax) throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.');
    const checksums: Record<string, string> = {};
    for (const name of checksumElements) {
      const c = optionalChild(p, name);
      if (c !== undefined) checksums[name.slice('Checksum'.length).toLowerCase()] = c.text.trim();
    }
    return { partNumber, etag: unquoteEtag(requiredChild(p, 'ETag').text), checksums };
  });
  if (parts.length === 0 || parts.length > partNumberMax) throw new S3Error('MalformedXML');
  return parts;
}

export interface DeleteRequest {
  quiet: boolean;
  objects: { key: string; versionId: string | undefined }[];
}

export function parseDelete(text: string): DeleteRequest {
  const tree = root(text, 'Delete');
  onlyChildren(tree, ['Quiet', 'Object']);
  const quietText = optionalChild(tree, 'Quiet')?.text.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw new S3Error('MalformedXML');
  const objects = childrenNamed(tree, 'Object').map((o) => {
    onlyChildren(o, ['Key', 'VersionId', 'ETag', 'LastModifiedTime', 'Size']);
    return { key: requiredChild(o, 'Key').text, versionId: optionalChild(o, 'VersionId')?.text.trim() };
  });
  if (objects.length === 0 || objects.length > deleteKeysMax) throw new S3Error('MalformedXML');
  return { quiet: quietText === 'true', objects };
}

/** The LocationConstraint, or '' when the body is empty or names none (us-east-1). */
export function parseCreateBucketConfiguration(text: string): string {
  if (text.trim() === '') return '';
  const tree = root(text, 'CreateBucketConfiguration');
  onlyChildren(tree, ['LocationConstraint', 'Location', 'Bucket']);
  return optionalChild(tree, 'LocationConstraint')?.text.trim() ?? '';
}

export const publicAccessBlockFlags = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;
export type PublicAccessBlock = Record<(typeof publicAccessBlockFlags)[number], boolean>;

/** A PublicAccessBlockConfiguration: four optional booleans (absent is false). */
export function parsePublicAccessBlock(text: string): PublicAccessBlock {
  const tree = root(text, 'PublicAccessBlockConfiguration');
  onlyChildren(tree, [...publicAccessBlockFlags]);
  const flag = (name: (typeof publicAccessBlockFlags)[number]): boolean => {
    const v = optionalChild(tree, name)?.text.trim().toLowerCase();
    if (v !== undefined && v !== 'true' && v !== 'false') throw new S3Error('MalformedXML');
    return v === 'true';
  };
  return { BlockPublicAcls: flag('BlockPublicAcls'), IgnorePublicAcls: flag('IgnorePublicAcls'), BlockPublicPolicy: flag('BlockPublicPolicy'), RestrictPublicBuckets: flag('RestrictPublicBuckets') };
}

/** A Tagging document's tags, in order, not yet validated (see operations/tagging.ts). */
export function parseTagging(text: string): [string, string][] {
  const tree = root(text, 'Tagging');
  onlyChildren(tree, ['TagSet']);
  const set = requiredChild(tree, 'TagSet');
  onlyChildren(set, ['Tag']);
  return childrenNamed(set, 'Tag').map((tag) => {
    onlyChildren(tag, ['Key', 'Value']);
    return [requiredChild(tag, 'Key').text, optionalChild(tag, 'Value')?.text ?? ''];
  });
}
