// Object tags: up to 10 key/value pairs per object, set with the x-amz-tagging header on
// writes (URL-encoded, as in a query string) or with PutObjectTagging (XML), read with
// GetObjectTagging and counted in GET/HEAD's x-amz-tagging-count. They live in the
// object's internal metadata, so changing them rewrites metadata only (no new ETag or
// Last-Modified, as on S3).
import { S3Error } from '../errors.ts';
import { emptyResponse, xmlResponse } from '../response.ts';
import { parseTagging } from '../xml/bodies.ts';
import { el } from '../xml/writer.ts';
import { jsonList, readXmlBody } from './common.ts';
import { checkVersionId } from './get.ts';
import { bucketHandler, objectHandler, type Handler } from './types.ts';

export type TagSet = [string, string][];

/** Internal metadata field holding the tags (JSON pairs). */
export const taggingField = 'tagging';
export const tagsPerObjectMax = 10;
export const tagsPerBucketMax = 50;
const tagKeyCharsMax = 128;
const tagValueCharsMax = 256;
/** Letters, digits, white space and + - = . _ : / @ (S3's rule for tags). */
const tagChars = /^[\p{L}\p{N}\p{Z}+\-=._:/@]*$/u;

function invalid(message: string): S3Error {
  return new S3Error('InvalidTag', message);
}

/** Checks S3's tag rules (objects take 10 tags, buckets 50); returns the set unchanged. */
export function validateTags(tags: TagSet, max = tagsPerObjectMax): TagSet {
  if (tags.length > max) throw invalid(`${max === tagsPerObjectMax ? 'Object' : 'Bucket'} tags cannot be greater than ${max}.`);
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    const keyChars = [...key].length;
    if (keyChars === 0 || keyChars > tagKeyCharsMax) throw invalid(`The TagKey you have provided is invalid: tag keys are 1 to ${tagKeyCharsMax} characters.`);
    if ([...value].length > tagValueCharsMax) throw invalid(`The TagValue you have provided is invalid: tag values are at most ${tagValueCharsMax} characters.`);
    if (!tagChars.test(key) || !tagChars.test(value)) throw invalid('The TagKey or TagValue you have provided contains characters that are not allowed.');
    if (key.toLowerCase().startsWith('aws:')) throw invalid('Your TagKey cannot be prefixed with aws:');
    if (seen.has(key)) throw invalid('Cannot provide multiple Tags with the same key');
    seen.add(key);
  }
  return tags;
}

/** Tags from an x-amz-tagging header (`k1=v1&k2=v2`), or undefined when there is none. */
export function tagsFromHeader(headers: Headers): TagSet | undefined {
  const raw = headers.get('x-amz-tagging');
  if (raw === null) return undefined;
  const tags: TagSet = [];
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const decode = (s: string): string => {
      try {
        return decodeURIComponent(s.replaceAll('+', ' '));
      } catch {
        throw invalid('The x-amz-tagging header is not a valid URL-encoded query string.');
      }
    };
    tags.push(eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))]);
  }
  return validateTags(tags);
}

export function tagsOf(internal: Readonly<Record<string, string>>): TagSet {
  return jsonList<[string, string]>(internal[taggingField]);
}

/** `internal` with the tag set replaced (an empty set removes the field). */
export function withTags(internal: Readonly<Record<string, string>>, tags: TagSet): Record<string, string> {
  const out = { ...internal };
  if (tags.length === 0) delete out[taggingField];
  else out[taggingField] = JSON.stringify(tags);
  return out;
}

/** Internal fields for a new object's tags from its request headers. */
export function tagsInternalFromHeaders(headers: Headers): Record<string, string> {
  const tags = tagsFromHeader(headers);
  return tags === undefined || tags.length === 0 ? {} : { [taggingField]: JSON.stringify(tags) };
}

/** GET/HEAD's x-amz-tagging-count, when the object has tags. */
export function taggingCountHeader(internal: Readonly<Record<string, string>>): Record<string, string> {
  const n = tagsOf(internal).length;
  return n === 0 ? {} : { 'x-amz-tagging-count': String(n) };
}

/** Tags are a set: listed in key order (byte-wise), whatever order they were sent in. */
function tagSetXml(tags: TagSet) {
  const sorted = [...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return el('Tagging', el('TagSet', sorted.map(([k, v]) => el('Tag', el('Key', k), el('Value', v)))));
}

export const getBucketTagging: Handler = bucketHandler(async (ctx, deps) => {
  const tags = tagsOf((await deps.store.getBucketMeta(ctx.bucket)).settings);
  if (tags.length === 0) throw new S3Error('NoSuchTagSet', undefined, { BucketName: ctx.bucket });
  return xmlResponse(tagSetXml(tags));
});

export const putBucketTagging: Handler = bucketHandler(async (ctx, deps) => {
  const tags = validateTags(parseTagging(await readXmlBody(ctx, deps)), tagsPerBucketMax);
  await deps.store.putBucketSetting(ctx.bucket, taggingField, tags.length === 0 ? null : JSON.stringify(tags));
  // 200, not AWS's 204: the MinIO SDKs accept only 200 here, and AWS SDKs take any 2xx.
  return emptyResponse(200);
});

export const deleteBucketTagging: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  await deps.store.putBucketSetting(ctx.bucket, taggingField, null);
  return emptyResponse(204);
});

export const getObjectTagging: Handler = objectHandler(async (ctx, deps) => {
  checkVersionId(ctx.query);
  const info = await deps.store.head(ctx.bucket, ctx.key);
  return xmlResponse(tagSetXml(tagsOf(info.internal)));
});

export const putObjectTagging: Handler = objectHandler(async (ctx, deps) => {
  checkVersionId(ctx.query);
  const tags = validateTags(parseTagging(await readXmlBody(ctx, deps)));
  await deps.store.updateMeta(ctx.bucket, ctx.key, (current) => ({ userMeta: current.userMeta, internal: withTags(current.internal, tags), ...(current.parts === undefined ? {} : { parts: current.parts }) }));
  return emptyResponse(200);
});

export const deleteObjectTagging: Handler = objectHandler(async (ctx, deps) => {
  checkVersionId(ctx.query);
  await deps.store.updateMeta(ctx.bucket, ctx.key, (current) => ({ userMeta: current.userMeta, internal: withTags(current.internal, []), ...(current.parts === undefined ? {} : { parts: current.parts }) }));
  return emptyResponse(204);
});
