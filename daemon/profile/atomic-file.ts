/**
 * Small files replaced atomically: written to `<path>.tmp` (mode 0600), fsynced, renamed over
 * `path`, and the directory fsynced, so after a crash at any point the file holds either the
 * old bytes or the new ones, and once this resolves the new ones survive a power loss.
 */
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export function tempPathOf(path: string): string {
  return `${path}.tmp`;
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempPathOf(path);
  await rm(tmp, { force: true });
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}
