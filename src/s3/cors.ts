// Bucket CORS (cross-origin resource sharing), so web pages on other origins may call
// the bucket from a browser (fetch/XHR uploads with PostObject or presigned URLs). The
// rules come from PutBucketCors and live in the bucket's settings (behind the config
// cache). A preflight OPTIONS is answered from them without credentials, as on S3; an
// actual request carrying an Origin gets the Access-Control-* headers of the first
// matching rule.
import { S3Error } from './errors.ts';
import { jsonList } from './operations/common.ts';
import { childrenNamed, onlyChildren, optionalChild, parseXml } from './xml/parser.ts';
import { el, type XmlElement } from './xml/writer.ts';

export const corsSettingName = 'cors';
export const corsRulesMax = 100;
const corsMethods = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;

export interface CorsRule {
  id?: string;
  origins: string[];
  methods: string[];
  headers: string[];
  expose: string[];
  maxAgeSec?: number;
}

function wildcards(values: readonly string[], what: string): void {
  for (const v of values) if ((v.match(/\*/g)?.length ?? 0) > 1) throw new S3Error('InvalidRequest', `${what} "${v}" can not have more than one wildcard.`);
}

/** Rules from a CORSConfiguration document, checked as S3 checks them. */
export function parseCorsConfiguration(text: string): CorsRule[] {
  const tree = parseXml(text);
  if (tree.name !== 'CORSConfiguration') throw new S3Error('MalformedXML');
  onlyChildren(tree, ['CORSRule']);
  const rules = childrenNamed(tree, 'CORSRule').map((r): CorsRule => {
    onlyChildren(r, ['ID', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'MaxAgeSeconds']);
    const texts = (name: string): string[] => childrenNamed(r, name).map((c) => c.text.trim());
    const rule: CorsRule = { origins: texts('AllowedOrigin'), methods: texts('AllowedMethod'), headers: texts('AllowedHeader'), expose: texts('ExposeHeader') };
    const id = optionalChild(r, 'ID')?.text.trim();
    if (id !== undefined) rule.id = id;
    const maxAge = optionalChild(r, 'MaxAgeSeconds')?.text.trim();
    if (maxAge !== undefined) {
      if (!/^\d{1,9}$/.test(maxAge)) throw new S3Error('MalformedXML');
      rule.maxAgeSec = Number(maxAge);
    }
    if (rule.origins.length === 0 || rule.methods.length === 0) throw new S3Error('MalformedXML');
    for (const m of rule.methods) {
      if (!(corsMethods as readonly string[]).includes(m)) throw new S3Error('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    }
    wildcards(rule.origins, 'AllowedOrigin');
    wildcards(rule.headers, 'AllowedHeader');
    return rule;
  });
  if (rules.length === 0 || rules.length > corsRulesMax) throw new S3Error('MalformedXML');
  return rules;
}

export function corsConfigurationXml(rules: readonly CorsRule[]): XmlElement {
  return el('CORSConfiguration', rules.map((r) => el('CORSRule',
    r.id === undefined ? undefined : el('ID', r.id),
    r.origins.map((o) => el('AllowedOrigin', o)),
    r.methods.map((m) => el('AllowedMethod', m)),
    r.headers.map((h) => el('AllowedHeader', h)),
    r.expose.map((h) => el('ExposeHeader', h)),
    r.maxAgeSec === undefined ? undefined : el('MaxAgeSeconds', String(r.maxAgeSec)),
  )));
}

export function readCorsRules(setting: string | undefined): CorsRule[] {
  return jsonList<CorsRule>(setting);
}

/** A pattern with at most one '*' (any run of characters); case-insensitive when asked. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

/** The first rule allowing this origin, method and (for a preflight) request headers. */
export function matchCorsRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: readonly string[] = []): CorsRule | undefined {
  return rules.find((r) => r.origins.some((o) => matches(o, origin, false))
    && r.methods.includes(method)
    && requestHeaders.every((h) => r.headers.some((allowed) => matches(allowed, h, true))));
}

/** The Access-Control-* headers a matching rule grants. */
export function corsHeaders(rule: CorsRule, origin: string, preflight: { requestHeaders: readonly string[] } | undefined): Record<string, string> {
  const anyOrigin = rule.origins.includes('*');
  const out: Record<string, string> = {
    'access-control-allow-origin': anyOrigin ? '*' : origin,
    'access-control-allow-methods': rule.methods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!anyOrigin) out['access-control-allow-credentials'] = 'true';
  if (rule.expose.length > 0) out['access-control-expose-headers'] = rule.expose.join(', ');
  if (rule.maxAgeSec !== undefined) out['access-control-max-age'] = String(rule.maxAgeSec);
  if (preflight !== undefined && preflight.requestHeaders.length > 0) out['access-control-allow-headers'] = preflight.requestHeaders.join(', ');
  return out;
}

export function corsDenied(): S3Error {
  return new S3Error('AccessForbidden', 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
}
