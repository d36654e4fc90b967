// Bounded, strict XML parser for the small request bodies S3 accepts. It builds an
// element tree and refuses DTDs, processing instructions (other than the declaration),
// unbalanced tags and excess depth or size: anything odd is MalformedXML.
import { S3Error } from '../errors.ts';

export interface XmlTree {
  readonly name: string;
  readonly children: XmlTree[];
  /** Concatenated character data directly inside this element. */
  text: string;
}

export interface ParseLimits {
  depthMax: number;
  elementCountMax: number;
}

export const defaultParseLimits: ParseLimits = { depthMax: 16, elementCountMax: 50_000 };

const nameRe = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

function malformed(): S3Error {
  return new S3Error('MalformedXML');
}

function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw malformed();
    switch (ref) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
    }
    if (!ref.startsWith('#')) throw malformed();
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (!Number.isFinite(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw malformed();
    void whole;
    return String.fromCodePoint(code);
  });
}

/** Splits `<name attr="v" ...` into the name; attributes are checked for form and ignored. */
function parseTagName(inner: string): string {
  const m = /^([^\s/>]+)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*$/.exec(inner);
  if (m === null || m[1] === undefined || !nameRe.test(m[1])) throw malformed();
  return m[1];
}

/** Local name without a namespace prefix (`s3:Part` -> `Part`). */
function localName(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

export function parseXml(text: string, limits: ParseLimits = defaultParseLimits): XmlTree {
  let pos = 0;
  let elementCount = 0;
  const stack: XmlTree[] = [];
  let root: XmlTree | undefined;
  if (text.charCodeAt(0) === 0xfeff) pos = 1;
  const declaration = /^<\?xml\s[^?]*\?>/.exec(text.slice(pos, pos + 200));
  if (declaration !== null) pos += declaration[0].length;
  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = text.slice(pos, lt < 0 ? text.length : lt);
    if (chunk !== '') {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (chunk.trim() !== '') throw malformed();
      } else {
        top.text += decodeEntities(chunk);
      }
    }
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) throw malformed();
      pos = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      const top = stack[stack.length - 1];
      if (end < 0 || top === undefined) throw malformed();
      top.text += text.slice(lt + 9, end);
      pos = end + 3;
      continue;
    }
    if (text.startsWith('<!', lt) || text.startsWith('<?', lt)) throw malformed();
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw malformed();
    const inner = text.slice(lt + 1, gt);
    pos = gt + 1;
    if (inner.startsWith('/')) {
      const open = stack.pop();
      if (open === undefined || inner.slice(1).trim() !== open.name) throw malformed();
      if (stack.length === 0) root = open;
      continue;
    }
    const selfClosing = inner.endsWith('/');
    const name = parseTagName(selfClosing ? inner.slice(0, -1) : inner);
    if (root !== undefined) throw malformed(); // a second root element
    elementCount++;
    if (elementCount > limits.elementCountMax || stack.length >= limits.depthMax) throw malformed();
    const node: XmlTree = { name, children: [], text: '' };
    stack[stack.length - 1]?.children.push(node);
    if (selfClosing) {
      if (stack.length === 0) root = node;
    } else {
      stack.push(node);
    }
  }
  if (stack.length !== 0 || root === undefined) throw malformed();
  return stripPrefixes(root);
}

function stripPrefixes(node: XmlTree): XmlTree {
  return { name: localName(node.name), children: node.children.map(stripPrefixes), text: node.text };
}

/** The children named `name`. */
export function childrenNamed(node: XmlTree, name: string): XmlTree[] {
  return node.children.filter((c) => c.name === name);
}

/** At most one child named `name`; two is MalformedXML. */
export function optionalChild(node: XmlTree, name: string): XmlTree | undefined {
  const found = childrenNamed(node, name);
  if (found.length > 1) throw malformed();
  return found[0];
}

export function requiredChild(node: XmlTree, name: string): XmlTree {
  const found = optionalChild(node, name);
  if (found === undefined) throw malformed();
  return found;
}

/** Children must all be among `allowed` (S3 rejects unknown elements in these bodies). */
export function onlyChildren(node: XmlTree, allowed: readonly string[]): void {
  for (const c of node.children) if (!allowed.includes(c.name)) throw malformed();
}
