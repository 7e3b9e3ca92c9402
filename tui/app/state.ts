/**
 * The whole UI's state and its reducer (pure, tested without a terminal): which screen shows,
 * the link to the daemon, what the daemon said about tor, pubs and peers, and the parts that
 * each have their own reducer (sidebar, one state per conversation, the input line, the
 * switcher, the login screen). Effects (calls to the daemon) live in app.tsx; they dispatch
 * these actions with what came back.
 */
import { conversationReducer, initialConversationState, type ConversationAction, type ConversationState } from '../components/conversation/use-conversation-state.js';
import { initialInputState, inputReducer, type InputAction, type InputState } from '../components/input/use-input-state.js';
import { initialLoginState, loginReducer, type LoginAction, type LoginMode, type LoginState } from '../components/login/use-login-state.js';
import { initialSidebarState, sidebarReducer, type SidebarAction, type SidebarState } from '../components/sidebar/use-sidebar-state.js';
import { initialSwitcherState, switcherReducer, type SwitcherAction, type SwitcherState } from '../components/switcher/use-switcher-state.js';
import type { LinkState } from '../link/daemon-link.js';
import type { TorView } from '../model/types.js';

export type { TorView };

/** How long tor may make no progress before the UI says it cannot reach the network. */
export const TOR_STALL_MS = 60_000;


export type Overlay =
  | { readonly kind: 'help' }
  | { readonly kind: 'switcher'; readonly switcher: SwitcherState }
  | { readonly kind: 'text'; readonly title: string; readonly lines: readonly string[]; readonly qr?: readonly string[] | undefined };

export interface Notice {
  readonly level: 'error' | 'info';
  readonly text: string;
}

export interface AppState {
  readonly screen: 'connecting' | 'login' | 'chat';
  readonly link: { readonly state: LinkState; readonly detail: string | null };
  readonly login: LoginState;
  readonly me: { readonly address: string; readonly name: string } | null;
  readonly tor: TorView | null;
  readonly pubs: { readonly live: number; readonly total: number };
  readonly peersOnline: number;
  /** The methods this daemon offers (rpc.discover), to show only what it can do. */
  readonly methods: ReadonlySet<string>;
  readonly sidebar: SidebarState;
  readonly conversations: Readonly<Record<string, ConversationState>>;
  readonly input: InputState;
  readonly overlay: Overlay | null;
  readonly notice: Notice | null;
  /** The last clock tick (ms): re-renders the screen while tor is not ready. */
  readonly clock: number;
}

export const initialAppState: AppState = {
  screen: 'connecting',
  link: { state: 'connecting', detail: null },
  login: initialLoginState('unlock'),
  me: null,
  tor: null,
  pubs: { live: 0, total: 0 },
  peersOnline: 0,
  methods: new Set(),
  sidebar: initialSidebarState,
  conversations: {},
  input: initialInputState,
  overlay: null,
  notice: null,
  clock: 0,
};

export type AppAction =
  | { readonly type: 'link'; readonly state: LinkState; readonly detail: string | null }
  | { readonly type: 'methods'; readonly methods: readonly string[] }
  | { readonly type: 'needLogin'; readonly mode: LoginMode }
  | { readonly type: 'login'; readonly action: LoginAction }
  | { readonly type: 'chat'; readonly me: { readonly address: string; readonly name: string } }
  | { readonly type: 'tor'; readonly tor: Omit<TorView, 'lastProgressAt' | 'best'>; readonly at: number }
  | { readonly type: 'pubs'; readonly live: number; readonly total: number }
  | { readonly type: 'peers'; readonly online: number }
  | { readonly type: 'sidebar'; readonly action: SidebarAction }
  | { readonly type: 'conversation'; readonly key: string; readonly action: ConversationAction }
  | { readonly type: 'input'; readonly action: InputAction }
  | { readonly type: 'overlay'; readonly overlay: Overlay | null }
  | { readonly type: 'switcher'; readonly action: SwitcherAction }
  | { readonly type: 'notice'; readonly notice: Notice | null }
  | { readonly type: 'clock'; readonly at: number };

export function appReducer(s: AppState, a: AppAction): AppState {
  switch (a.type) {
    case 'link': {
      // a link that goes down leaves the chat on screen (marked) until it is back
      return { ...s, link: { state: a.state, detail: a.detail } };
    }
    case 'methods':
      return { ...s, methods: new Set(a.methods) };
    case 'needLogin':
      return { ...s, screen: 'login', login: initialLoginState(a.mode) };
    case 'login':
      return { ...s, login: loginReducer(s.login, a.action) };
    case 'chat':
      return { ...s, screen: 'chat', me: a.me, login: initialLoginState('unlock') };
    case 'tor': {
      // progress is a percentage above the best so far: a tor that restarts and climbs back to
      // where it stalled has made none
      const prev = s.tor;
      const progressed = !prev || a.tor.bootstrap > prev.best;
      return { ...s, tor: { ...a.tor, best: Math.max(prev?.best ?? 0, a.tor.bootstrap), lastProgressAt: progressed ? a.at : prev.lastProgressAt } };
    }
    case 'pubs':
      return { ...s, pubs: { live: a.live, total: a.total } };
    case 'peers':
      return { ...s, peersOnline: a.online };
    case 'sidebar':
      return { ...s, sidebar: sidebarReducer(s.sidebar, a.action) };
    case 'conversation': {
      const before = s.conversations[a.key] ?? initialConversationState;
      const after = conversationReducer(before, a.action);
      return after === before ? s : { ...s, conversations: { ...s.conversations, [a.key]: after } };
    }
    case 'input':
      return { ...s, input: inputReducer(s.input, a.action), notice: a.action.type === 'insert' && s.notice?.level === 'info' ? null : s.notice };
    case 'overlay':
      return { ...s, overlay: a.overlay };
    case 'switcher':
      if (s.overlay?.kind !== 'switcher') return s;
      return { ...s, overlay: { kind: 'switcher', switcher: switcherReducer(s.overlay.switcher, a.action) } };
    case 'notice':
      return { ...s, notice: a.notice };
    case 'clock':
      // only while it matters: a tick changes nothing once tor is ready (or not used)
      return s.tor && s.tor.transport === 'tor' && s.tor.state !== 'ready' ? { ...s, clock: a.at } : s;
  }
}

export function openSwitcher(): Overlay {
  return { kind: 'switcher', switcher: initialSwitcherState };
}

/** Tor has made no progress for TOR_STALL_MS and is not ready: it cannot reach the network. */
export function torStalled(tor: TorView | null, now: number): boolean {
  if (!tor || tor.transport !== 'tor' || tor.state === 'ready' || tor.state === 'off') return false;
  return now - tor.lastProgressAt >= TOR_STALL_MS;
}
