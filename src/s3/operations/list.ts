// Listing: ListObjects (v1), ListObjectsV2 and ListObjectVersions over unversioned buckets.
import { S3Error } from '../errors.ts';
import type { ObjectInfo, ListResult } from '../../storage/types.ts';
import type { BucketContext, S3Deps } from '../context.ts';
import { xmlResponse } from '../response.ts';
import { el, isoTime, type XmlElement } from '../xml/writer.ts';
import { intParam, listingEncoder, ownerElement, quoteEtag } from './common.ts';
import { bucketHandler, type Handler } from './types.ts';
import { bucketOwner, type Owner } from '../owners.ts';
import { checksumAlgorithmOf } from './checksums.ts';
import { storageClassOf } from './meta.ts';

export const listKeysMax = 1000;

interface ListArgs {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  encode: (s: string) => string;
  encodingType: string | undefined;
}

function listArgs(query: URLSearchParams): ListArgs {
  const { encode, encodingType } = listingEncoder(query);
  return {
    prefix: query.get('prefix') ?? '',
    delimiter: query.get('delimiter') ?? '',
    maxKeys: intParam(query, 'max-keys', listKeysMax, 0, listKeysMax),
    encode,
    encodingType,
  };
}

async function runList(ctx: BucketContext, deps: S3Deps, args: ListArgs, marker: string): Promise<ListResult> {
  if (args.maxKeys === 0) {
    await deps.store.headBucket(ctx.bucket);
    return { objects: [], commonPrefixes: [], isTruncated: false, nextMarker: '' };
  }
  const result = await deps.store.list(ctx.bucket, { prefix: args.prefix, delimiter: args.delimiter, marker, maxKeys: args.maxKeys });
  await deps.codec.prepareListing?.(result.objects);
  return result;
}

function optional(name: string, value: string | undefined): XmlElement | undefined {
  return value === undefined || value === '' ? undefined : el(name, value);
}

function objectFields(info: ObjectInfo, deps: S3Deps, args: ListArgs, owner: Owner | undefined): XmlElement[] {
  const shown = deps.codec.listed(info);
  const algorithm = checksumAlgorithmOf(info.internal);
  return [
    el('Key', args.encode(info.key)),
    el('LastModified', isoTime(info.modTimeMs)),
    el('ETag', quoteEtag(shown.etag)),
    algorithm === undefined ? undefined : el('ChecksumAlgorithm', algorithm),
    el('Size', String(shown.size)),
    owner === undefined ? undefined : ownerElement(owner),
    el('StorageClass', storageClassOf(info.internal)),
  ].filter((x): x is XmlElement => x !== undefined);
}

function commonPrefixes(result: ListResult, args: ListArgs): XmlElement[] {
  return result.commonPrefixes.map((p) => el('CommonPrefixes', el('Prefix', args.encode(p))));
}

export const listObjects: Handler = bucketHandler(async (ctx, deps) => {
  const args = listArgs(ctx.query);
  const marker = ctx.query.get('marker') ?? '';
  const result = await runList(ctx, deps, args, marker);
  const owner = await bucketOwner(deps, ctx.bucket);
  return xmlResponse(el('ListBucketResult',
    el('Name', ctx.bucket),
    // Not encoded in v1: botocore decodes Delimiter, Marker and NextMarker here, but not Prefix.
    el('Prefix', args.prefix),
    el('Marker', args.encode(marker)),
    el('MaxKeys', String(args.maxKeys)),
    optional('Delimiter', args.delimiter === '' ? undefined : args.encode(args.delimiter)),
    el('IsTruncated', String(result.isTruncated)),
    result.isTruncated ? el('NextMarker', args.encode(result.nextMarker)) : undefined,
    optional('EncodingType', args.encodingType),
    result.objects.map((o) => el('Contents', objectFields(o, deps, args, owner))),
    commonPrefixes(result, args)));
});

const tokenPrefix = 'cairn1:';

function encodeToken(marker: string): string {
  return Buffer.from(tokenPrefix + marker, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!text.startsWith(tokenPrefix)) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  return text.slice(tokenPrefix.length);
}

export const listObjectsV2: Handler = bucketHandler(async (ctx, deps) => {
  const args = listArgs(ctx.query);
  const token = ctx.query.get('continuation-token');
  const startAfter = ctx.query.get('start-after') ?? '';
  const fetchOwner = ctx.query.get('fetch-owner') === 'true';
  // An empty token is no token (the listing starts at start-after), echoed as sent.
  const marker = token !== null && token !== '' ? decodeToken(token) : startAfter;
  const result = await runList(ctx, deps, args, marker);
  const owner = fetchOwner ? await bucketOwner(deps, ctx.bucket) : undefined;
  return xmlResponse(el('ListBucketResult',
    el('Name', ctx.bucket),
    el('Prefix', args.encode(args.prefix)),
    optional('StartAfter', startAfter === '' ? undefined : args.encode(startAfter)),
    token === null ? undefined : el('ContinuationToken', token),
    el('KeyCount', String(result.objects.length + result.commonPrefixes.length)),
    el('MaxKeys', String(args.maxKeys)),
    optional('Delimiter', args.delimiter === '' ? undefined : args.encode(args.delimiter)),
    el('IsTruncated', String(result.isTruncated)),
    result.isTruncated ? el('NextContinuationToken', encodeToken(result.nextMarker)) : undefined,
    optional('EncodingType', args.encodingType),
    result.objects.map((o) => el('Contents', objectFields(o, deps, args, owner))),
    commonPrefixes(result, args)));
});

/** Unversioned buckets: every object is its only, latest version, with the id "null". */
export const listObjectVersions: Handler = bucketHandler(async (ctx, deps) => {
  const args = listArgs(ctx.query);
  const keyMarker = ctx.query.get('key-marker') ?? '';
  const versionIdMarker = ctx.query.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker' });
  if (versionIdMarker !== '' && versionIdMarker !== 'null') throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'version-id-marker' });
  const result = await runList(ctx, deps, args, keyMarker);
  const owner = await bucketOwner(deps, ctx.bucket);
  const versions = result.objects.map((o) => {
    const fields = objectFields(o, deps, args, owner);
    const [key, ...rest] = fields;
    return el('Version', key, el('VersionId', 'null'), el('IsLatest', 'true'), rest);
  });
  return xmlResponse(el('ListVersionsResult',
    el('Name', ctx.bucket),
    el('Prefix', args.encode(args.prefix)),
    el('KeyMarker', args.encode(keyMarker)),
    el('VersionIdMarker', versionIdMarker),
    result.isTruncated ? el('NextKeyMarker', args.encode(result.nextMarker)) : undefined,
    result.isTruncated ? el('NextVersionIdMarker', 'null') : undefined,
    el('MaxKeys', String(args.maxKeys)),
    optional('Delimiter', args.delimiter === '' ? undefined : args.encode(args.delimiter)),
    el('IsTruncated', String(result.isTruncated)),
    optional('EncodingType', args.encodingType),
    versions,
    commonPrefixes(result, args)));
});
