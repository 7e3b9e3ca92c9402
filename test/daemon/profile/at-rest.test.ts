/**
 * Nothing of the profile is plaintext on disk: after creating a profile, writing records and
 * notifications, and changing the passphrase, the raw bytes of every file under the home hold
 * none of the name, the passphrases, the identity's seed and secret key, the address, a
 * record's plaintext, a record's logical key, nor a notification's text.
 */
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex, utf8Encode } from '../../../protocol/bytes.js';
import { ready } from '../../../protocol/crypto.js';
import { DEVELOPMENT_KDF } from '../../../daemon/profile/constants.js';
import { ProfileService } from '../../../daemon/profile/profile.js';
import { EncryptedJournal } from '../../../daemon/journal/journal.js';
import { makeTempDir, removeDir } from '../../helpers/temp.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    if ((await stat(p)).isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('the profile at rest', () => {
  let home: string | undefined;
  before(ready);
  afterEach(async () => removeDir(home));

  it('leaves no name, passphrase, key, address, record plaintext or logical key in any file', async () => {
    home = await makeTempDir('at-rest');
    const dir = join(home, 'profile');
    const name = 'Zaphod Beeblebrox-Quixotic';
    const passphrase = 'vogon poetry is the third worst';
    const newPassphrase = 'the answer is forty-two exactly';
    const s = new ProfileService({}, { dir, kdf: DEVELOPMENT_KDF });
    const p = await s.create({ name, passphrase });
    const contact = 'contact-namespace-marker';
    const recordId = 'friend-logical-id-marker.onion';
    const plaintext = 'a record plaintext that must not leak';
    for (let i = 0; i < 200; i++) await p.store.put(contact, utf8Encode(`${recordId}-${i}`), utf8Encode(`${plaintext} #${i}`));
    const journal = new EncryptedJournal({ store: p.store });
    await journal.start();
    for (let i = 0; i < 200; i++) void journal.append('message/didReceive', { text: `notification text marker ${i}` });
    await journal.flush();
    await journal.stop();
    const secrets = {
      seed: p.identity.seed.slice(),
      secretKey: p.identity.secretKey.slice(),
      signingSecret: p.keys.signing.secretKey.slice(),
      dhSecret: p.keys.dh.secretKey.slice(),
      address: p.address,
    };
    await s.lock();
    await s.changePassphrase(passphrase, newPassphrase);
    await s.unlock(newPassphrase);
    await s.lock();

    const needles: [string, Uint8Array][] = [
      ['name', utf8Encode(name)],
      ['passphrase', utf8Encode(passphrase)],
      ['new passphrase', utf8Encode(newPassphrase)],
      ['identity seed', secrets.seed],
      ['identity seed (hex)', utf8Encode(toHex(secrets.seed))],
      ['identity secret key', secrets.secretKey],
      ['signing secret key', secrets.signingSecret.subarray(0, 32)],
      ['X25519 secret key', secrets.dhSecret],
      ['address', utf8Encode(secrets.address)],
      ['address without .onion', utf8Encode(secrets.address.slice(0, 56))],
      ['record plaintext', utf8Encode(plaintext)],
      ['record namespace', utf8Encode(contact)],
      ['record id', utf8Encode(recordId)],
      ['profile record id', utf8Encode('profile')],
      ['journal namespace', utf8Encode('journal')],
      ['notification text', utf8Encode('notification text marker')],
      ['notification method', utf8Encode('didReceive')],
    ];
    // a control: the search does find a needle that is there
    await writeFile(join(home, 'control'), `plain ${name} text`);
    const files = await filesUnder(home);
    assert.ok(files.length >= 4, `only ${files.length} files`);
    const found: string[] = [];
    let bytes = 0;
    for (const file of files) {
      const raw = await readFile(file);
      bytes += raw.length;
      for (const [what, needle] of needles) if (raw.includes(Buffer.from(needle))) found.push(`${what} in ${file.slice(home.length)}`);
    }
    assert.ok(bytes > 200 * 64, `only ${bytes} bytes on disk`);
    assert.deepEqual(found, ['name in /control']);
  });
});
