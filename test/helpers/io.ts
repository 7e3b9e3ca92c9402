/** An Io for running commands in-process: lines captured, no terminal, an empty environment. */
import type { Io } from '../../daemon/cli/io.js';

export function captureIo(init: { env?: Record<string, string>; stderrIsTTY?: boolean } = {}): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: (line) => void out.push(line),
    stderr: (line) => void err.push(line),
    env: init.env ?? {},
    stderrIsTTY: init.stderrIsTTY ?? false,
  };
  return { io, out, err };
}
