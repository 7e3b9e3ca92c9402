/**
 * docs/local-api.md and the OpenRPC document name the same methods, notifications and errors:
 * a method added to the descriptors without its documentation (or the other way) fails here.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ERRORS, API_ERROR_NAMES, openRpcDocument } from '../../../protocol/api/index.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const text = readFileSync(join(repoRoot(), 'docs', 'local-api.md'), 'utf8');

/** The `### \`name\`` headings of the `## title` section. */
function headings(title: string): string[] {
  const start = text.indexOf(`\n## ${title}\n`);
  assert.ok(start !== -1, `docs/local-api.md has a "## ${title}" section`);
  const rest = text.slice(start + 1);
  const next = rest.indexOf('\n## ', 1);
  const section = next === -1 ? rest : rest.slice(0, next);
  return [...section.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]!);
}

describe('docs/local-api.md', () => {
  const doc = openRpcDocument('0');

  it('documents exactly the methods of the OpenRPC document', () => {
    assert.deepEqual(headings('Methods').sort(), doc.methods.map((m) => m.name).sort());
  });

  it('documents exactly the notifications of the OpenRPC document', () => {
    assert.deepEqual(headings('Notifications').sort(), doc['x-notifications'].map((n) => n.name).sort());
  });

  it('lists every error name with its code, and no other', () => {
    const rows = [...text.matchAll(/^\| (-?\d+) \| `(ERR_[A-Z_]+)` \|/gm)].map((m) => [m[2]!, Number(m[1])] as const);
    assert.deepEqual(new Map(rows), new Map(API_ERROR_NAMES.map((n) => [n, API_ERRORS[n].code])));
  });

  it('names every param of every method and notification in its section', () => {
    for (const entry of [...doc.methods, ...doc['x-notifications']]) {
      const start = text.indexOf('### `' + entry.name + '`');
      const end = text.indexOf('\n### ', start + 1);
      const section = text.slice(start, end === -1 ? undefined : end);
      for (const p of entry.params) assert.ok(section.includes('`' + p.name), `${entry.name}: ${p.name}`);
    }
  });
});
