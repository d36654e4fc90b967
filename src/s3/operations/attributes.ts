// GetObjectAttributes: an object's ETag, checksum, parts, storage class and size in one
// call, as much as the x-amz-object-attributes header asks for. Sizes and ETags are the
// plaintext view (as GET shows them); SSE-C objects need their key, as on S3.
import { S3Error } from '../errors.ts';
import { httpDate, xmlResponse } from '../response.ts';
import { el, type XmlElement } from '../xml/writer.ts';
import { checksumAlgorithmOf, checksumFields } from './checksums.ts';
import { checkVersionId } from './get.ts';
import { intArgument } from './common.ts';
import { storageClassOf } from './meta.ts';
import { objectHandler, type Handler } from './types.ts';

const attributeNames = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type AttributeName = (typeof attributeNames)[number];
const partsPerAnswerMax = 1000;

function requestedAttributes(headers: Headers): Set<AttributeName> {
  const raw = headers.get('x-amz-object-attributes');
  if (raw === null || raw.trim() === '') throw new S3Error('InvalidArgument', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty', { ArgumentName: 'x-amz-object-attributes' });
  const out = new Set<AttributeName>();
  for (const name of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const known = attributeNames.find((a) => a.toLowerCase() === name.toLowerCase());
    if (known === undefined) throw new S3Error('InvalidArgument', `Invalid attribute name specified: ${name}`, { ArgumentName: 'x-amz-object-attributes', ArgumentValue: name });
    out.add(known);
  }
  return out;
}

function checksumElements(internal: Readonly<Record<string, string>>, withType: boolean): XmlElement[] {
  const algorithm = checksumAlgorithmOf(internal);
  const value = internal[checksumFields.value];
  if (algorithm === undefined || value === undefined) return [];
  const out = [el(`Checksum${algorithm}`, value)];
  if (withType) out.push(el('ChecksumType', internal[checksumFields.type] ?? 'FULL_OBJECT'));
  return out;
}

export const getObjectAttributes: Handler = objectHandler(async (ctx, deps) => {
  checkVersionId(ctx.query);
  const wanted = requestedAttributes(ctx.headers);
  const info = await deps.store.head(ctx.bucket, ctx.key);
  const plan = await deps.codec.planRead(info, ctx.headers, 'object', deps.store);
  try {
    const body = [];
    if (wanted.has('ETag')) body.push(el('ETag', plan.etag));
    if (wanted.has('Checksum')) {
      const checksum = checksumElements(info.internal, true);
      if (checksum.length > 0) body.push(el('Checksum', checksum));
    }
    if (wanted.has('ObjectParts') && info.parts !== undefined && info.parts.length > 0) {
      const marker = intArgument(ctx.headers.get('x-amz-part-number-marker'), 'x-amz-part-number-marker', 0, 0, Number.MAX_SAFE_INTEGER);
      const maxParts = intArgument(ctx.headers.get('x-amz-max-parts'), 'x-amz-max-parts', partsPerAnswerMax, 0, partsPerAnswerMax);
      const after = info.parts.filter((p) => p.partNumber > marker);
      const shown = after.slice(0, maxParts);
      const truncated = after.length > shown.length;
      body.push(el('ObjectParts',
        el('PartsCount', String(info.parts.length)),
        el('PartNumberMarker', String(marker)),
        el('NextPartNumberMarker', String(shown.at(-1)?.partNumber ?? marker)),
        el('MaxParts', String(maxParts)),
        el('IsTruncated', String(truncated)),
        shown.map((p) => el('Part', el('PartNumber', String(p.partNumber)), el('Size', String(deps.codec.listedPart(p).size)), checksumElements(p.internal, false))),
      ));
    }
    if (wanted.has('StorageClass')) body.push(el('StorageClass', storageClassOf(info.internal)));
    if (wanted.has('ObjectSize')) body.push(el('ObjectSize', String(plan.size)));
    return xmlResponse(el('GetObjectAttributesResponse', body), 200, { 'last-modified': httpDate(info.modTimeMs), ...plan.responseHeaders });
  } finally {
    plan.dispose();
  }
});
