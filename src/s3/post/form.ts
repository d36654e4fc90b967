// Streaming multipart/form-data reader for browser-style POST uploads. Form fields are
// read into memory (bounded); the `file` field, which must come after the fields it is
// governed by (as on S3), is handed out as a stream that ends at the next boundary, so
// the upload is never buffered whole. Fields after the file are ignored, as S3 does.
import { S3Error } from '../errors.ts';

export interface FormFile {
  /** The file name the client sent (for `${filename}` in the key), without any path. */
  filename: string;
  /** The Content-Type of the file part, if any. */
  contentType: string | undefined;
  stream: ReadableStream<Uint8Array>;
}

export interface UploadForm {
  /** Field names lower-cased (S3 matches them case-insensitively); the first of duplicates wins. */
  fields: Map<string, string>;
  file: FormFile;
}

const partHeaderBytesMax = 8 * 1024;
const crlf = Buffer.from('\r\n');
const headerEnd = Buffer.from('\r\n\r\n');

function malformed(detail: string): S3Error {
  return new S3Error('MalformedPOSTRequest', `The body of your POST request is not well-formed multipart/form-data: ${detail}.`);
}

/** The boundary of a multipart/form-data Content-Type, or null. */
export function formBoundary(contentType: string | null): string | null {
  if (contentType === null || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2] ?? null;
}

/** Buffered reader over the body with "read until" in bounded memory. */
class Source {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  constructor(private readonly reader: { read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>; cancel(reason?: unknown): Promise<void> }) {}

  get buffered(): Buffer {
    return this.buf;
  }

  consume(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Reads one more piece; false at the end of the body. */
  async more(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.reader.read();
    if (next.done || next.value === undefined) {
      this.ended = true;
      return false;
    }
    const piece = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.buf = this.buf.length === 0 ? piece : Buffer.concat([this.buf, piece]);
    return true;
  }

  /** The bytes before `needle` (consumed, with the needle); at most maxBytes of them. */
  async until(needle: Buffer, maxBytes: number, what: string): Promise<Buffer> {
    let from = 0;
    for (;;) {
      const at = this.buf.indexOf(needle, from);
      if (at >= 0) {
        if (at > maxBytes) throw tooLong(what);
        const out = Buffer.from(this.buf.subarray(0, at));
        this.buf = this.buf.subarray(at + needle.length);
        return out;
      }
      if (this.buf.length > maxBytes + needle.length) throw tooLong(what);
      from = Math.max(0, this.buf.length - needle.length + 1);
      if (!(await this.more())) throw malformed(`the body ended inside ${what}`);
    }
  }

  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.more())) throw malformed('the body ended early');
    return this.consume(n);
  }

  cancel(reason?: unknown): Promise<void> {
    return this.reader.cancel(reason);
  }
}

function tooLong(what: string): S3Error {
  return what === 'the form fields'
    ? new S3Error('MaxPostPreDataLengthExceededError', 'Your POST request fields preceding the upload file were too large.')
    : malformed(`${what} is too long`);
}

interface PartHeaders {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
}

/** A parameter of a Content-Disposition value: quoted (with \-escapes) or a token. */
function dispositionParam(value: string, param: string): string | undefined {
  const re = new RegExp(`;\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i');
  const m = re.exec(value);
  if (m === null) return undefined;
  // Only \" and \\ are unescaped: browsers send Windows paths with bare backslashes.
  return m[1] !== undefined ? m[1].replace(/\\(["\\])/g, '$1') : m[2];
}

function parsePartHeaders(text: string): PartHeaders {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (disposition === undefined || !/^form-data\s*(;|$)/i.test(disposition)) throw malformed('a part has no form-data Content-Disposition');
  const name = dispositionParam(disposition, 'name');
  if (name === undefined || name === '') throw malformed('a part has no name');
  return { name, filename: dispositionParam(disposition, 'filename'), contentType };
}

/**
 * Reads the fields and stops at the start of the file's bytes. `fieldBytesMax` bounds
 * everything before the file (S3's limit on the form is 20 KB).
 */
export async function readUploadForm(body: ReadableStream<Uint8Array>, boundary: string, fieldBytesMax: number): Promise<UploadForm> {
  const src = new Source(body.getReader());
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields = new Map<string, string>();
  try {
    // The first boundary may start the body (no CRLF before it); a preamble is skipped.
    let budget = fieldBytesMax;
    const preamble = await src.until(Buffer.from(`--${boundary}`), budget, 'the form fields');
    budget -= preamble.length;
    for (;;) {
      const after = await src.take(2);
      if (after.toString('latin1') === '--') throw new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.', { ArgumentName: 'file', ArgumentValue: '0' });
      if (!after.equals(crlf)) throw malformed('a boundary is not followed by a line break');
      const headerText = (await src.until(headerEnd, partHeaderBytesMax, 'a part header')).toString('utf8');
      const part = parsePartHeaders(headerText);
      const name = part.name.toLowerCase();
      if (name === 'file') {
        const filename = (part.filename ?? '').split(/[\\/]/).pop() ?? '';
        return { fields, file: { filename, contentType: part.contentType, stream: fileStream(src, delimiter) } };
      }
      const value = await src.until(delimiter, budget, 'the form fields');
      budget -= value.length + headerText.length;
      if (budget < 0) throw tooLong('the form fields');
      if (!fields.has(name)) fields.set(name, value.toString('utf8'));
    }
  } catch (e) {
    await src.cancel(e).catch(() => undefined);
    throw e;
  }
}

/** A plain Uint8Array view (no copy): the reader's buffers are never written after they are read. */
function asView(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The file part's bytes up to the next delimiter; the tail that could start one is held back. */
function fileStream(src: Source, delimiter: Buffer): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const buf = src.buffered;
          const at = buf.indexOf(delimiter);
          if (at >= 0) {
            if (at > 0) controller.enqueue(asView(src.consume(at)));
            src.consume(delimiter.length);
            finished = true;
            controller.close();
            // Whatever follows (closing boundary, ignored fields) is not read.
            await src.cancel().catch(() => undefined);
            return;
          }
          const safe = buf.length - delimiter.length + 1;
          if (safe > 0) {
            controller.enqueue(asView(src.consume(safe)));
            return;
          }
          if (!(await src.more())) throw new S3Error('IncompleteBody', 'The POST body ended before the file\'s closing boundary.');
        }
      } catch (e) {
        controller.error(e);
        await src.cancel(e).catch(() => undefined);
      }
    },
    async cancel(reason) {
      if (!finished) await src.cancel(reason).catch(() => undefined);
    },
  }, { highWaterMark: 0 });
}
