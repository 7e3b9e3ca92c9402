/**
 * The daemon's log: one JSON object per line on stderr (as `snug pub` logs), an event name and
 * a few fields. Fields never hold content, keys, passphrases, names or addresses: only codes,
 * states, counts and durations.
 */
export type LogField = string | number | boolean | null;
export type DaemonLog = (event: string, fields?: Readonly<Record<string, LogField>>) => void;

export function jsonLineLog(write: (line: string) => void): DaemonLog {
  return (event, fields = {}) => write(JSON.stringify({ ts: new Date().toISOString(), event, ...fields }));
}
