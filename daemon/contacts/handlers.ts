/**
 * The handlers of contact/* (descriptors in protocol/api/methods.ts). While locked they answer
 * ERR_LOCKED (ERR_NO_PROFILE in a home without a profile); a well-formed address that does not
 * decode (checksum, version, key) is -32602 ERR_BAD_ADDRESS like a malformed one.
 */
import { ApiError } from '../../protocol/api/errors.js';
import type { Handlers } from '../api/server.js';
import type { ProfileService } from '../profile/profile.js';
import { type ContactsService, checkAddress } from './service.js';

export interface ContactHandlerComponents {
  readonly contacts: ContactsService;
  readonly profile: ProfileService;
}

export function contactHandlers(c: ContactHandlerComponents): Handlers {
  const open = async (): Promise<ContactsService> => {
    if (!c.contacts.isOpen) throw new ApiError((await c.profile.state()) === 'absent' ? 'ERR_NO_PROFILE' : 'ERR_LOCKED');
    return c.contacts;
  };
  return {
    'contact/add': async (p) => {
      const address = checkAddress(p.address);
      return { contact: await (await open()).add(address, p.name, p.message) };
    },
    'contact/accept': async (p) => {
      const address = checkAddress(p.address);
      return { contact: await (await open()).accept(address) };
    },
    'contact/block': async (p) => {
      const address = checkAddress(p.address);
      return { contact: await (await open()).block(address) };
    },
    'contact/remove': async (p) => {
      const address = checkAddress(p.address);
      await (await open()).remove(address);
      return {};
    },
    'contact/list': async () => ({ contacts: (await open()).list() }),
  };
}
