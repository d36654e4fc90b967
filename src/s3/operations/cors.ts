// Bucket CORS configuration (PutBucketCors, GetBucketCors, DeleteBucketCors) and the
// preflight OPTIONS request, answered from it without credentials (see ../cors.ts).
import { corsConfigurationXml, corsDenied, corsHeaders, corsSettingName, matchCorsRule, parseCorsConfiguration, readCorsRules } from '../cors.ts';
import { S3Error } from '../errors.ts';
import { emptyResponse, xmlResponse } from '../response.ts';
import { readXmlBody } from './common.ts';
import { bucketHandler, type Handler } from './types.ts';

export const getBucketCors: Handler = bucketHandler(async (ctx, deps) => {
  const rules = readCorsRules((await deps.store.getBucketMeta(ctx.bucket)).settings[corsSettingName]);
  if (rules.length === 0) throw new S3Error('NoSuchCORSConfiguration', undefined, { BucketName: ctx.bucket });
  return xmlResponse(corsConfigurationXml(rules));
});

export const putBucketCors: Handler = bucketHandler(async (ctx, deps) => {
  const rules = parseCorsConfiguration(await readXmlBody(ctx, deps));
  await deps.store.putBucketSetting(ctx.bucket, corsSettingName, JSON.stringify(rules));
  return emptyResponse(200);
});

export const deleteBucketCors: Handler = bucketHandler(async (ctx, deps) => {
  await deps.store.headBucket(ctx.bucket);
  await deps.store.putBucketSetting(ctx.bucket, corsSettingName, null);
  return emptyResponse(204);
});

/** OPTIONS on a bucket or object: may a page from Origin send this method and these headers? */
export const corsPreflight: Handler = bucketHandler(async (ctx, deps) => {
  const origin = ctx.headers.get('origin');
  const method = ctx.headers.get('access-control-request-method');
  if (origin === null || origin === '') throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.');
  if (method === null || method === '') throw new S3Error('BadRequest', 'Invalid Access-Control-Request-Method: null');
  const requestHeaders = (ctx.headers.get('access-control-request-headers') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  let rules;
  try {
    rules = readCorsRules((await deps.store.getBucketMeta(ctx.bucket)).settings[corsSettingName]);
  } catch {
    throw corsDenied(); // no such bucket: the same answer, so a preflight does not probe names
  }
  const rule = matchCorsRule(rules, origin, method.trim().toUpperCase(), requestHeaders);
  if (rule === undefined) throw corsDenied();
  return emptyResponse(200, corsHeaders(rule, origin, { requestHeaders }));
});
