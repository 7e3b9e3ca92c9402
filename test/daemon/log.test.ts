import assert from 'node:assert/strict';
import { createLog, defaultLogFormat, formatTextLine } from '../../daemon/log.js';

const AT = new Date('2026-12-01T20:31:02.345Z');

describe('daemon/log', () => {
  it('writes one JSON object per line with a timestamp, the event and its fields', () => {
    const lines: string[] = [];
    createLog((l) => lines.push(l), 'json', () => AT)('tor-bootstrap', { percent: 14 });
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [{ ts: '2026-12-01T20:31:02.345Z', event: 'tor-bootstrap', percent: 14 }]);
  });

  it('writes a readable line: time, event, key=value pairs, values with spaces quoted', () => {
    assert.equal(formatTextLine(AT, 'tor-bootstrap', { percent: 14 }), '20:31:02 tor-bootstrap percent=14');
    assert.equal(formatTextLine(AT, 'listening', { host: '127.0.0.1', note: 'two words' }), '20:31:02 listening host=127.0.0.1 note="two words"');
  });

  it('leads a warning with its message, the event and fields after it', () => {
    assert.equal(
      formatTextLine(AT, 'tor-unreachable', { level: 'warn', message: 'tor cannot reach the Tor network', percent: 5 }),
      '20:31:02 warning: tor cannot reach the Tor network (tor-unreachable percent=5)',
    );
  });

  it('defaults to text on a terminal and JSON lines otherwise', () => {
    assert.equal(defaultLogFormat(true), 'text');
    assert.equal(defaultLogFormat(false), 'json');
  });
});
