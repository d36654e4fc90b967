// Minimal XML writer for S3 responses: element trees to text with correct escaping.
// Values are strings; callers format numbers and dates. Nothing here parses input.

export type XmlNode = XmlElement | string;

export interface XmlElement {
  readonly name: string;
  readonly attrs?: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}

export const s3Namespace = 'http://s3.amazonaws.com/doc/2006-03-01/';
const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Element with children; `undefined` children are skipped so optional fields read naturally. */
export function el(name: string, ...children: (XmlNode | XmlNode[] | undefined)[]): XmlElement {
  const flat: XmlNode[] = [];
  for (const c of children) {
    if (c === undefined) continue;
    if (Array.isArray(c)) flat.push(...c);
    else flat.push(c);
  }
  return { name, children: flat };
}

export function withAttrs(element: XmlElement, attrs: Record<string, string>): XmlElement {
  return { ...element, attrs: { ...element.attrs, ...attrs } };
}

/** Escapes text and attribute values; drops characters XML 1.0 cannot carry at all. */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    switch (ch) {
      case '&': out += '&amp;'; break;
      case '<': out += '&lt;'; break;
      case '>': out += '&gt;'; break;
      case '"': out += '&quot;'; break;
      case "'": out += '&apos;'; break;
      case '\r': out += '&#13;'; break;
      default: {
        const code = ch.codePointAt(0) ?? 0;
        // Tabs and newlines pass; other C0 controls are not allowed in XML 1.0 even as references.
        if (code < 0x20 && code !== 0x09 && code !== 0x0a) out += `&#${code};`;
        else out += ch;
      }
    }
  }
  return out;
}

function writeNode(node: XmlNode, parts: string[]): void {
  if (typeof node === 'string') {
    parts.push(escapeXml(node));
    return;
  }
  parts.push('<', node.name);
  if (node.attrs !== undefined) {
    for (const [k, v] of Object.entries(node.attrs)) parts.push(' ', k, '="', escapeXml(v), '"');
  }
  if (node.children.length === 0) {
    parts.push('/>');
    return;
  }
  parts.push('>');
  for (const child of node.children) writeNode(child, parts);
  parts.push('</', node.name, '>');
}

/** A whole document; the root gets the S3 namespace unless `namespace` is false. */
export function xmlDocument(root: XmlElement, namespace = true): string {
  const parts: string[] = [xmlDeclaration];
  writeNode(namespace ? withAttrs(root, { xmlns: s3Namespace }) : root, parts);
  return parts.join('');
}

/** ISO-8601 with milliseconds, as S3 prints LastModified and Initiated. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
