/**
 * tor's control-port replies (control-spec.txt): a strict incremental parser, and the helpers
 * that read reply text (tokens, `KEY=VALUE` keywords, QuotedStrings). Every line must be `XYZ` +
 * one of ' ', '-', '+' + text + CRLF, '+' lines carry a dot-terminated data block
 * (dot-unescaped), lines and replies are size-capped, and anything else is a typed error
 * (CONTROL_MALFORMED): the stream cannot be resynchronised after one.
 */
import { CONTROL_MAX_LINE_BYTES, CONTROL_MAX_REPLY_BYTES } from './constants.js';
import { TorError, TorErrorCode } from './errors.js';

/** Status code of asynchronous event replies. */
export const ASYNC_EVENT_STATUS = 650;

export interface ReplyLine {
  readonly status: number;
  /** ' ' for the end line, '-' for a mid-reply line, '+' for a line followed by data. */
  readonly separator: ' ' | '-' | '+';
  readonly text: string;
  /** For '+' lines: the data block, dot-unescaped, lines joined with '\n'. */
  readonly data?: string;
}

export interface Reply {
  /** The status of the end line. */
  readonly status: number;
  readonly lines: readonly ReplyLine[];
}

export function malformed(message: string): TorError {
  return new TorError(TorErrorCode.CONTROL_MALFORMED, message);
}

const LINE = /^([0-9]{3})([ +-])(.*)$/s;
// Control characters other than TAB have no place in a control-port line.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Incremental parser of control-port replies. Feed it bytes; it returns every reply completed
 * by them, and throws a CONTROL_MALFORMED TorError on the first violation (after which the
 * parser is unusable: the stream cannot be resynchronised).
 */
export class ReplyParser {
  readonly #maxLine: number;
  readonly #maxReply: number;
  #buffer: Buffer = Buffer.alloc(0);
  #lines: ReplyLine[] = [];
  #replyBytes = 0;
  /** Set while inside a '+' data block: the line that opened it and the data so far. */
  #data: { head: { status: number; text: string }; lines: string[] } | null = null;
  #failed = false;

  constructor(init: { maxLineBytes?: number; maxReplyBytes?: number } = {}) {
    this.#maxLine = init.maxLineBytes ?? CONTROL_MAX_LINE_BYTES;
    this.#maxReply = init.maxReplyBytes ?? CONTROL_MAX_REPLY_BYTES;
  }

  /** True while a reply has started but not ended (bytes or lines are pending). */
  get pending(): boolean {
    return this.#buffer.length > 0 || this.#lines.length > 0 || this.#data !== null;
  }

  push(chunk: Uint8Array): Reply[] {
    if (this.#failed) throw malformed('control stream already failed');
    try {
      return this.#push(chunk);
    } catch (err) {
      this.#failed = true;
      throw err;
    }
  }

  #push(chunk: Uint8Array): Reply[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    const replies: Reply[] = [];
    for (;;) {
      const nl = this.#buffer.indexOf(0x0a);
      if (nl < 0) {
        if (this.#buffer.length > this.#maxLine) throw malformed(`line longer than ${this.#maxLine} bytes`);
        return replies;
      }
      if (nl + 1 > this.#maxLine + 2) throw malformed(`line longer than ${this.#maxLine} bytes`);
      if (nl === 0 || this.#buffer[nl - 1] !== 0x0d) throw malformed('line not terminated by CRLF');
      const raw = this.#buffer.subarray(0, nl - 1);
      this.#buffer = this.#buffer.subarray(nl + 1);
      this.#replyBytes += nl + 1;
      if (this.#replyBytes > this.#maxReply) throw malformed(`reply longer than ${this.#maxReply} bytes`);
      const line = raw.toString('utf8');
      if (FORBIDDEN.test(line) || line.includes('\ufffd')) throw malformed('control characters or invalid UTF-8 in a line');
      const reply = this.#line(line);
      if (reply) replies.push(reply);
    }
  }

  #line(line: string): Reply | null {
    if (this.#data) {
      if (line === '.') {
        const { head, lines } = this.#data;
        this.#data = null;
        this.#lines.push({ status: head.status, separator: '+', text: head.text, data: lines.join('\n') });
      } else {
        this.#data.lines.push(line.startsWith('.') ? line.slice(1) : line);
      }
      return null;
    }
    const m = LINE.exec(line);
    if (!m) throw malformed('line is not "XYZ" followed by " ", "-" or "+"');
    const status = Number(m[1]);
    if (status < 100) throw malformed(`status ${m[1]} out of range`);
    const separator = m[2] as ' ' | '-' | '+';
    const text = m[3]!;
    const first = this.#lines[0];
    // All lines of one reply share the status class (2xx, 5xx, 650 events).
    if (first && Math.floor(first.status / 100) !== Math.floor(status / 100)) {
      throw malformed(`status ${status} inside a ${first.status} reply`);
    }
    if (separator === '+') {
      this.#data = { head: { status, text }, lines: [] };
      return null;
    }
    this.#lines.push({ status, separator, text });
    if (separator === '-') return null;
    const reply: Reply = { status, lines: this.#lines };
    this.#lines = [];
    this.#replyBytes = 0;
    return reply;
  }
}

export interface Token {
  readonly key?: string;
  readonly value: string;
}

/** Reads a control-spec QuotedString starting at text[i] === '"'; returns value and next index. */
function readQuoted(text: string, i: number): { value: string; next: number } {
  let out = '';
  let j = i + 1;
  for (;;) {
    if (j >= text.length) throw malformed('unterminated quoted string');
    const c = text[j]!;
    if (c === '"') return { value: out, next: j + 1 };
    if (c === '\\') {
      const e = text[j + 1];
      if (e === undefined) throw malformed('unterminated escape in quoted string');
      out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
      j += 2;
    } else {
      out += c;
      j += 1;
    }
  }
}

/**
 * Splits reply text into space-separated tokens: positional words, `KEY=VALUE` and
 * `KEY="quoted value"`, and bare `"quoted"` strings.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i += 1;
      continue;
    }
    if (text[i] === '"') {
      const q = readQuoted(text, i);
      tokens.push({ value: q.value });
      i = q.next;
      if (i < text.length && text[i] !== ' ') throw malformed('garbage after a quoted string');
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '=' && text[j] !== '"') j += 1;
    const word = text.slice(i, j);
    if (text[j] === '=') {
      if (text[j + 1] === '"') {
        const q = readQuoted(text, j + 1);
        tokens.push({ key: word, value: q.value });
        i = q.next;
        if (i < text.length && text[i] !== ' ') throw malformed('garbage after a quoted value');
      } else {
        let k = j + 1;
        while (k < text.length && text[k] !== ' ') k += 1;
        tokens.push({ key: word, value: text.slice(j + 1, k) });
        i = k;
      }
    } else if (text[j] === '"') {
      throw malformed('quote inside a word');
    } else {
      tokens.push({ value: word });
      i = j;
    }
  }
  return tokens;
}

/** The `KEY=VALUE` tokens of a text, as a map (last one wins). */
export function keywords(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of tokenize(text)) if (t.key !== undefined) map.set(t.key, t.value);
  return map;
}

/** Encodes a string as a control-spec QuotedString. */
export function quoteString(value: string): string {
  return '"' + value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r/g, '\\r').replace(/\n/g, '\\n') + '"';
}
