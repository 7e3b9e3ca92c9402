/**
 * The structured log of snug's long-running programs (the pub now, the daemon later): one event
 * with flat, content-free fields per call. Written as one JSON object per line (for a supervisor
 * or a pipe) or as a readable line (for a person at a terminal); `defaultLogFormat` picks text
 * when stderr is a terminal. Never log keys, plaintext, blob hashes or client details.
 *
 * Two fields are understood by both formats: `level` ('warn' for something an operator should
 * act on; omitted for information) and `message` (a sentence for people).
 */

export type LogFields = Readonly<Record<string, string | number | boolean>>;

/** A structured log sink (PubServer's PubLog has this shape). */
export type Log = (event: string, fields?: LogFields) => void;

export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/** Text for a terminal, JSON lines for anything else. */
export function defaultLogFormat(isTTY: boolean): LogFormat {
  return isTTY ? 'text' : 'json';
}

/** `{"ts":"…","event":"…",…fields}` */
export function formatJsonLine(at: Date, event: string, fields: LogFields): string {
  return JSON.stringify({ ts: at.toISOString(), event, ...fields });
}

/** A value for a text line: bare when it has no spaces, quotes or '=', else JSON-quoted. */
function textValue(value: string | number | boolean): string {
  const s = String(value);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

/** `20:31:02 tor-bootstrap percent=14`, or `20:31:02 warning: <message> (event k=v)`. */
export function formatTextLine(at: Date, event: string, fields: LogFields): string {
  const time = at.toISOString().slice(11, 19);
  const { level, message, ...rest } = fields;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}=${textValue(v)}`);
  const warn = level === 'warn' ? 'warning: ' : '';
  if (message !== undefined) return `${time} ${warn}${String(message)} (${[event, ...pairs].join(' ')})`;
  return `${time} ${warn}${[event, ...pairs].join(' ')}`;
}

/** A Log writing each event as one line in `format` through `write`. */
export function createLog(write: (line: string) => void, format: LogFormat, clock: () => Date = () => new Date()): Log {
  const line = format === 'json' ? formatJsonLine : formatTextLine;
  return (event, fields = {}) => write(line(clock(), event, fields));
}
