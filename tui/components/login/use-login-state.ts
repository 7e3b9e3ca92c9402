/**
 * The create and unlock screens' state, as a pure reducer. Create asks for a name, then the
 * passphrase twice (never echoed); unlock asks for the passphrase. What the user typed is held
 * only until it is submitted: `submit` hands it over and clears the field.
 */

export type LoginMode = 'create' | 'unlock';
export type LoginStep = 'name' | 'passphrase' | 'confirm';

export interface LoginState {
  readonly mode: LoginMode;
  readonly step: LoginStep;
  readonly name: string;
  /** The passphrase typed so far on the current step (never shown). */
  readonly secret: string;
  /** The first entry of the passphrase, while the second is typed (create only). */
  readonly first: string;
  readonly busy: boolean;
  /** What went wrong, in words (a mismatch, a wrong passphrase). */
  readonly error: string | null;
}

export function initialLoginState(mode: LoginMode): LoginState {
  return { mode, step: mode === 'create' ? 'name' : 'passphrase', name: '', secret: '', first: '', busy: false, error: null };
}

export type LoginAction =
  | { readonly type: 'type'; readonly text: string }
  | { readonly type: 'backspace' }
  /** Enter: next step, or ready to submit (see `readyToSubmit`). */
  | { readonly type: 'enter' }
  | { readonly type: 'submitted' }
  | { readonly type: 'failed'; readonly error: string; readonly retry: LoginStep };

export function loginReducer(s: LoginState, a: LoginAction): LoginState {
  if (s.busy && a.type !== 'submitted' && a.type !== 'failed') return s;
  switch (a.type) {
    case 'type': {
      // eslint-disable-next-line no-control-regex
      const t = a.text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
      if (s.step === 'name') return { ...s, name: s.name + t, error: null };
      return { ...s, secret: s.secret + t, error: null };
    }
    case 'backspace':
      if (s.step === 'name') return { ...s, name: s.name.slice(0, -1) };
      return { ...s, secret: s.secret.slice(0, -1) };
    case 'enter':
      if (s.step === 'name') {
        if (s.name.trim() === '') return { ...s, error: 'a name is needed' };
        return { ...s, step: 'passphrase', error: null };
      }
      if (s.secret === '') return { ...s, error: 'the passphrase cannot be empty' };
      if (s.mode === 'create' && s.step === 'passphrase') return { ...s, step: 'confirm', first: s.secret, secret: '', error: null };
      if (s.mode === 'create' && s.step === 'confirm' && s.secret !== s.first) {
        return { ...s, step: 'passphrase', first: '', secret: '', error: 'the two passphrases differ; type it again' };
      }
      return { ...s, busy: true, error: null };
    case 'submitted':
      return { ...s, busy: false, secret: '', first: '' };
    case 'failed':
      return { ...s, busy: false, secret: '', first: '', step: a.retry, error: a.error };
  }
}

/** The passphrase to send, once Enter made the state busy. */
export function readyToSubmit(s: LoginState): { name: string; passphrase: string } | null {
  return s.busy ? { name: s.name.trim(), passphrase: s.secret } : null;
}
