import assert from 'node:assert/strict';
import { isTorError, TorErrorCode } from '../../../daemon/tor/errors.js';
import { ReplyParser, keywords, tokenize, type Reply } from '../../../daemon/tor/reply.js';
import { parseListener } from '../../../daemon/tor/service.js';

function parseAll(chunks: readonly string[], init: { maxLineBytes?: number; maxReplyBytes?: number } = {}): Reply[] {
  const parser = new ReplyParser(init);
  return chunks.flatMap((c) => parser.push(Buffer.from(c, 'utf8')));
}

describe('daemon/tor/reply', () => {
  describe('ReplyParser', () => {
    const good: { name: string; chunks: string[]; replies: Reply[] }[] = [
      { name: 'a one-line reply', chunks: ['250 OK\r\n'], replies: [{ status: 250, lines: [{ status: 250, separator: ' ', text: 'OK' }] }] },
      {
        name: 'a multi-line reply',
        chunks: ['250-version=0.4.9\r\n250-a=b c\r\n250 OK\r\n'],
        replies: [
          {
            status: 250,
            lines: [
              { status: 250, separator: '-', text: 'version=0.4.9' },
              { status: 250, separator: '-', text: 'a=b c' },
              { status: 250, separator: ' ', text: 'OK' },
            ],
          },
        ],
      },
      {
        name: 'a data block, dot-unescaped',
        chunks: ['250+config-text=\r\nLog notice\r\n..hidden\r\n...\r\n\r\n.\r\n250 OK\r\n'],
        replies: [
          {
            status: 250,
            lines: [
              { status: 250, separator: '+', text: 'config-text=', data: 'Log notice\n.hidden\n..\n' },
              { status: 250, separator: ' ', text: 'OK' },
            ],
          },
        ],
      },
      {
        name: 'an async event between two replies',
        chunks: ['250 OK\r\n650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=5\r\n552 Unrecognized key\r\n'],
        replies: [
          { status: 250, lines: [{ status: 250, separator: ' ', text: 'OK' }] },
          { status: 650, lines: [{ status: 650, separator: ' ', text: 'STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=5' }] },
          { status: 552, lines: [{ status: 552, separator: ' ', text: 'Unrecognized key' }] },
        ],
      },
      {
        name: 'a reply split at every byte',
        chunks: [...'250-a=1\r\n250+b=\r\nx\r\n.\r\n250 OK\r\n'],
        replies: [
          {
            status: 250,
            lines: [
              { status: 250, separator: '-', text: 'a=1' },
              { status: 250, separator: '+', text: 'b=', data: 'x' },
              { status: 250, separator: ' ', text: 'OK' },
            ],
          },
        ],
      },
      { name: 'an empty end line text', chunks: ['250 \r\n'], replies: [{ status: 250, lines: [{ status: 250, separator: ' ', text: '' }] }] },
    ];
    for (const c of good) {
      it(`parses ${c.name}`, () => {
        assert.deepEqual(parseAll(c.chunks), c.replies);
      });
    }

    const bad: { name: string; chunks: string[]; init?: { maxLineBytes?: number; maxReplyBytes?: number } }[] = [
      { name: 'a line without a status code', chunks: ['hello world\r\n'] },
      { name: 'a two-digit status', chunks: ['25 OK\r\n'] },
      { name: 'a status below 100', chunks: ['099 OK\r\n'] },
      { name: 'a status without a separator', chunks: ['250OK\r\n'] },
      { name: 'a line ended by LF alone', chunks: ['250 OK\n'] },
      { name: 'a bare CRLF', chunks: ['\r\n'] },
      { name: 'a control character inside a line', chunks: ['250 O\x01K\r\n'] },
      { name: 'a NUL byte', chunks: ['250 O\x00K\r\n'] },
      { name: 'a status of another class inside a reply', chunks: ['250-a=1\r\n550 oops\r\n'] },
      { name: 'a line over the line cap, even unterminated', chunks: ['250 ' + 'a'.repeat(200)], init: { maxLineBytes: 100 } },
      { name: 'a terminated line over the line cap', chunks: ['250 ' + 'a'.repeat(200) + '\r\n'], init: { maxLineBytes: 100 } },
      { name: 'a reply over the reply cap', chunks: ['250-aaaaaaaa\r\n'.repeat(20) + '250 OK\r\n'], init: { maxReplyBytes: 100 } },
      { name: 'a data block over the reply cap', chunks: ['250+x=\r\n' + 'data\r\n'.repeat(50)], init: { maxReplyBytes: 100 } },
    ];
    for (const c of bad) {
      it(`rejects ${c.name} with a typed error`, () => {
        assert.throws(() => parseAll(c.chunks, c.init ?? {}), (err: unknown) => isTorError(err, TorErrorCode.CONTROL_MALFORMED));
      });
    }

    it('refuses more input after a violation', () => {
      const parser = new ReplyParser();
      assert.throws(() => parser.push(Buffer.from('junk\r\n')));
      assert.throws(() => parser.push(Buffer.from('250 OK\r\n')), (err: unknown) => isTorError(err, TorErrorCode.CONTROL_MALFORMED));
    });

    it('reports a reply in progress as pending', () => {
      const parser = new ReplyParser();
      parser.push(Buffer.from('250-a=1\r\n'));
      assert.equal(parser.pending, true);
      parser.push(Buffer.from('250 OK\r\n'));
      assert.equal(parser.pending, false);
    });
  });

  describe('tokenize', () => {
    const cases: { text: string; tokens: { key?: string; value: string }[] }[] = [
      { text: 'AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/var/lib/tor/control_auth_cookie"', tokens: [
        { value: 'AUTH' }, { key: 'METHODS', value: 'COOKIE,SAFECOOKIE' }, { key: 'COOKIEFILE', value: '/var/lib/tor/control_auth_cookie' },
      ] },
      { text: 'SUMMARY="say \\"hi\\" \\\\ there"', tokens: [{ key: 'SUMMARY', value: 'say "hi" \\ there' }] },
      { text: '"127.0.0.1:9050" "[::1]:9050"', tokens: [{ value: '127.0.0.1:9050' }, { value: '[::1]:9050' }] },
      { text: '  A   B=  ', tokens: [{ value: 'A' }, { key: 'B', value: '' }] },
    ];
    for (const c of cases) {
      it(`splits ${JSON.stringify(c.text)}`, () => {
        assert.deepEqual(tokenize(c.text).map((t) => ({ ...t })), c.tokens);
      });
    }
    for (const text of ['A="unterminated', 'A="x"y', 'wo"rd', 'A="ends in \\']) {
      it(`rejects ${JSON.stringify(text)}`, () => {
        assert.throws(() => tokenize(text), (err: unknown) => isTorError(err, TorErrorCode.CONTROL_MALFORMED));
      });
    }
    it('maps keywords, ignoring positional words', () => {
      assert.deepEqual([...keywords('NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"')], [
        ['PROGRESS', '100'], ['TAG', 'done'], ['SUMMARY', 'Done'],
      ]);
    });
    it('reads the SOCKS listener tor reports', () => {
      assert.deepEqual(parseListener('"127.0.0.1:40123"'), { host: '127.0.0.1', port: 40123 });
      assert.deepEqual(parseListener('"[::1]:9050" "127.0.0.1:9050"'), { host: '::1', port: 9050 });
      assert.equal(parseListener('"unix:/run/tor/socks"'), null);
    });
  });
});
