/**
 * The terminal UI's root: wires the daemon link (tui/link) to the state (app/state.ts) and the
 * views. Screens: connecting (never frozen: what the link is doing is shown), login (create or
 * unlock), chat (sidebar, conversation, input, status bar). Every effect returns its cleanup
 * (listeners removed, timers cleared). Calls to the daemon happen here; what they answer is
 * dispatched to the reducers; errors are shown in place, in words.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { Box, Text, useApp, useStdout } from 'ink';
import { METHODS } from '../../protocol/api/methods.js';
import { complete } from '../commands/complete.js';
import { parseLine } from '../commands/parse.js';
import { CommandError, runCommand, type CommandContext } from './commands.js';
import { ConversationView } from '../components/conversation/conversation.js';
import { layoutLines, visibleLines } from '../components/conversation/layout.js';
import { useConversationKeys } from '../components/conversation/use-conversation.js';
import { PAGE_SIZE, initialConversationState, lastOwnMessage, wantsOlder, type ConversationState } from '../components/conversation/use-conversation-state.js';
import { helpLines } from '../components/help/help.js';
import { InputLine } from '../components/input/input-line.js';
import { useInputLine } from '../components/input/use-input-line.js';
import { wordBeforeCursor } from '../components/input/use-input-state.js';
import { LoginView } from '../components/login/login.js';
import { useLoginKeys } from '../components/login/use-login.js';
import { readyToSubmit } from '../components/login/use-login-state.js';
import { OverlayView } from '../components/overlay/overlay.js';
import { useOverlayKeys } from '../components/overlay/use-overlay.js';
import { Sidebar } from '../components/sidebar/sidebar.js';
import { useSidebarKeys } from '../components/sidebar/use-sidebar.js';
import { contactTitle, entriesOf, selectedEntry, type SidebarEntry } from '../components/sidebar/use-sidebar-state.js';
import { StatusBar } from '../components/status-bar/status-bar.js';
import { SwitcherView } from '../components/switcher/switcher.js';
import { useSwitcherKeys } from '../components/switcher/use-switcher.js';
import { fuzzyMatches } from '../components/switcher/use-switcher-state.js';
import { describeError, type DaemonLink } from '../link/daemon-link.js';
import { theme } from '../theme.js';
import { editMessage, listContacts, listGroups, listInvites, listMessages, markRead, METHOD_LIST, parseContact, parseGroup, parseInvite, parseItem, sendMessage } from './api.js';
import { appReducer, initialAppState, openSwitcher, torStalled, type AppAction, type AppState } from './state.js';
import { contactKey, groupIntegrity, groupKey, targetOf, type ConversationKey, type Item } from '../model/types.js';

export interface AppProps {
  readonly link: DaemonLink;
  readonly home: string;
  /** Open this conversation first (e.g. `g:<groupId>` for the demo's group). */
  readonly initialKey?: string | undefined;
  /** The terminal's size when stdout does not say (tests). */
  readonly size?: { readonly rows: number; readonly columns: number } | undefined;
  readonly now?: (() => number) | undefined;
}

/** How many conversations are asked for their newest message to find the most recently active. */
const ACTIVITY_PROBE_MAX = 50;

function isConversationKey(key: string | null | undefined): key is ConversationKey {
  return key !== null && key !== undefined && (key.startsWith('c:') || key.startsWith('g:'));
}

function useTerminalSize(fallback: { rows: number; columns: number } | undefined): { rows: number; columns: number } {
  const { stdout } = useStdout();
  const read = () => ({ rows: stdout.rows || fallback?.rows || 24, columns: stdout.columns || fallback?.columns || 80 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}

/** How often the clock ticks while tor is not ready, to say "no progress for 60 s" in time (ms). */
const CLOCK_MS = 5_000;

function pendingPanel(e: SidebarEntry, s: AppState): string[] | undefined {
  if (e.pending === 'invite') {
    const inv = s.sidebar.invites.find((i) => `i:${i.invite}` === e.key);
    const from = inv ? contactTitle(s.sidebar.contacts.find((c) => c.address === inv.from) ?? { name: null, proposedName: null, address: inv.from }) : '?';
    return [`${from} invites you to the group ${e.title}.`, '', 'Type /accept to join, or /decline.'];
  }
  if (e.kind !== 'contact' || e.pending === null) return undefined;
  const c = s.sidebar.contacts.find((x) => contactKey(x.address) === e.key);
  if (!c) return undefined;
  if (c.state === 'incoming') {
    return [
      `${c.proposedName ? `"${c.proposedName}" (the name they gave)` : 'Someone'} asks to be your contact.`,
      c.message ? `Their message: ${c.message}` : '',
      `Address: ${c.address}`,
      '',
      'Type /accept to accept, or /block to block them for good.',
    ];
  }
  if (c.state === 'outgoing') return [`You asked ${contactTitle(c)} to be your contact.`, 'You can write once they accept.', `Address: ${c.address}`];
  if (c.state === 'blocked') return [`${contactTitle(c)} is blocked.`, 'Nothing from them reaches you. /add ADDRESS asks them again.'];
  return undefined;
}

export function App({ link, home, initialKey, size: fallbackSize, now = Date.now }: AppProps) {
  const { exit } = useApp();
  const [state, dispatch] = useReducer(appReducer, initialAppState);
  const stateRef = useRef<AppState>(state);
  stateRef.current = state;
  const firstChat = useRef(true);
  /** The daemon's methods, as soon as rpc.discover answered (the state has them a render later). */
  const methodsRef = useRef<ReadonlySet<string>>(new Set());
  const localIds = useRef(0);
  const size = useTerminalSize(fallbackSize);

  // one line short of the terminal: a frame as tall as the terminal makes Ink clear the screen each time
  const mainHeight = Math.max(4, size.rows - 4);
  const convWidth = Math.max(20, size.columns - theme.sidebarWidth - 2);
  const bodyHeight = mainHeight - 1;

  // --- talking to the daemon -------------------------------------------------------------

  const refreshStatus = useCallback(async () => {
    const raw = await link.call('daemon/status');
    const checked = METHODS['daemon/status'].result.safeParse(raw);
    if (!checked.success) throw new Error("the daemon's status is not what this UI expects");
    const st = checked.data;
    dispatch({ type: 'tor', tor: { transport: st.tor.transport, bootstrap: st.tor.bootstrap, state: st.tor.state, onion: st.tor.onion, summary: stateRef.current.tor?.summary ?? '' }, at: now() });
    dispatch({ type: 'peers', online: st.peers.filter((p) => p.state === 'linked').length });
    dispatch({ type: 'pubs', live: st.pubs.filter((p) => p.state === 'live').length, total: st.pubs.length });
    return st;
  }, [link, now]);

  /** Fetches the sidebar's lists again; resolves with the conversation keys they hold (ready to talk in). */
  const reloadSidebar = useCallback(async (): Promise<ConversationKey[]> => {
    const methods = methodsRef.current;
    const contacts = await listContacts(link);
    dispatch({ type: 'sidebar', action: { type: 'contacts', contacts } });
    // groups and invites: a daemon that lists them but cannot answer yet does not keep contacts from showing
    let groups: Awaited<ReturnType<typeof listGroups>> = [];
    try {
      if (methods.has('group/list')) {
        groups = await listGroups(link);
        dispatch({ type: 'sidebar', action: { type: 'groups', groups } });
      }
      if (methods.has('group/invites')) dispatch({ type: 'sidebar', action: { type: 'invites', invites: await listInvites(link) } });
    } catch (err) {
      dispatch({ type: 'notice', notice: { level: 'info', text: `groups are not available: ${describeError(err)}` } });
    }
    return [...groups.map((g) => groupKey(g.groupId)), ...contacts.filter((c) => c.state === 'accepted').map((c) => contactKey(c.address))];
  }, [link]);

  const loadNewest = useCallback(
    async (key: ConversationKey) => {
      dispatch({ type: 'conversation', key, action: { type: 'loadStart', which: 'initial' } });
      try {
        const items = await listMessages(link, targetOf(key), { limit: PAGE_SIZE });
        dispatch({ type: 'conversation', key, action: { type: 'page', items, limit: PAGE_SIZE } });
      } catch (err) {
        dispatch({ type: 'conversation', key, action: { type: 'loadFailed', error: describeError(err) } });
      }
    },
    [link],
  );

  const loadOlder = useCallback(
    async (key: ConversationKey) => {
      const conv = stateRef.current.conversations[key];
      const oldest = conv?.items.find((i) => i.status !== 'sending');
      if (!conv || !oldest) return;
      dispatch({ type: 'conversation', key, action: { type: 'loadStart', which: 'older' } });
      try {
        const items = await listMessages(link, targetOf(key), { before: oldest.id, limit: PAGE_SIZE });
        dispatch({ type: 'conversation', key, action: { type: 'olderPage', items, limit: PAGE_SIZE } });
      } catch (err) {
        dispatch({ type: 'conversation', key, action: { type: 'loadFailed', error: describeError(err) } });
      }
    },
    [link],
  );

  const enterChat = useCallback(
    async (profile: { address: string; name: string }) => {
      const sub = await link.subscribe();
      const all = await reloadSidebar();
      // (stateRef is the last render's: it does not hold what was just dispatched)
      const s = stateRef.current;
      if (firstChat.current) {
        firstChat.current = false;
        // the most recently active conversation: ask each for its newest message
        const keys = all.slice(0, ACTIVITY_PROBE_MAX);
        await Promise.all(
          keys.map(async (key) => {
            try {
              const [last] = await listMessages(link, targetOf(key), { limit: 1 });
              if (last) dispatch({ type: 'sidebar', action: { type: 'activity', key, ts: last.ts } });
            } catch {
              // one conversation that cannot be listed does not keep the others from opening
            }
          }),
        );
        dispatch({ type: 'sidebar', action: { type: 'selectMostRecent' } });
        if (initialKey) dispatch({ type: 'sidebar', action: { type: 'select', key: initialKey } });
        // the chat shows once its first conversation is chosen, so no key lands before that
        dispatch({ type: 'chat', me: profile });
      } else if (sub.missed > 0) {
        dispatch({ type: 'chat', me: profile });
        // the journal no longer holds some of what happened while away: fetch the lists again
        for (const key of Object.keys(s.conversations)) if (isConversationKey(key)) void loadNewest(key);
      } else {
        dispatch({ type: 'chat', me: profile });
        // replayed events bring the rest; fetch what is newer than what is held, to be sure
        for (const [key, conv] of Object.entries(s.conversations)) {
          const last = [...conv.items].reverse().find((i) => i.status !== 'sending');
          if (!isConversationKey(key) || !last) continue;
          listMessages(link, targetOf(key), { after: last.id, limit: 500 }).then(
            (items) => dispatch({ type: 'conversation', key, action: { type: 'append', items } }),
            () => void loadNewest(key),
          );
        }
      }
    },
    [link, reloadSidebar, initialKey, loadNewest],
  );

  const onOpen = useCallback(async () => {
    try {
      const discovered = METHOD_LIST.safeParse(await link.call('rpc.discover'));
      const names = discovered.success ? discovered.data.methods.map((m) => m.name) : Object.keys(METHODS);
      methodsRef.current = new Set(names);
      dispatch({ type: 'methods', methods: names });
      const st = await refreshStatus();
      if (st.profile === null) return dispatch({ type: 'needLogin', mode: 'create' });
      if (st.profile.locked || st.profile.address === null) return dispatch({ type: 'needLogin', mode: 'unlock' });
      await enterChat({ address: st.profile.address, name: st.profile.name ?? '' });
    } catch (err) {
      dispatch({ type: 'notice', notice: { level: 'error', text: describeError(err) } });
    }
  }, [link, refreshStatus, enterChat]);

  const onNotification = useCallback(
    (method: string, params: unknown) => {
      const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
      const d = (a: AppAction) => dispatch(a);
      switch (method) {
        case 'tor/didProgress': {
          const tor = stateRef.current.tor;
          d({
            type: 'tor',
            tor: {
              transport: tor?.transport ?? 'tor',
              bootstrap: typeof p['bootstrap'] === 'number' ? p['bootstrap'] : 0,
              state: String(p['state'] ?? ''),
              onion: String(p['onion'] ?? ''),
              summary: typeof p['summary'] === 'string' ? p['summary'] : (tor?.summary ?? ''),
            },
            at: now(),
          });
          return;
        }
        case 'contact/didRequest': {
          const address = String(p['address']);
          d({
            type: 'sidebar',
            action: {
              type: 'contact',
              address,
              contact: { address, name: null, state: 'incoming', online: false, unread: 0, proposedName: typeof p['proposedName'] === 'string' ? p['proposedName'] : null, message: typeof p['message'] === 'string' ? p['message'] : null },
            },
          });
          return;
        }
        case 'contact/didChange': {
          const address = String(p['address']);
          d({ type: 'sidebar', action: { type: 'contact', address, contact: p['contact'] === null ? null : parseContact(p['contact']) } });
          return;
        }
        case 'message/didReceive': {
          const item = parseItem(p['message']);
          const key = typeof p['groupId'] === 'string' ? groupKey(p['groupId']) : typeof p['address'] === 'string' ? contactKey(p['address']) : null;
          if (!item || !key) return;
          d({ type: 'conversation', key, action: { type: 'append', items: [item] } });
          d({ type: 'sidebar', action: { type: 'activity', key, ts: item.ts } });
          return;
        }
        case 'message/didChange': {
          const key = typeof p['groupId'] === 'string' ? groupKey(p['groupId']) : typeof p['address'] === 'string' ? contactKey(p['address']) : null;
          const status = p['status'];
          if (!key || typeof p['id'] !== 'string') return;
          if (typeof p['text'] === 'string') d({ type: 'conversation', key, action: { type: 'edited', id: p['id'], text: p['text'] } });
          if (status === 'outbox' || status === 'sent' || status === 'delivered' || status === 'received') {
            const pubs = p['pubs'];
            const pubsOk = typeof pubs === 'object' && pubs !== null && typeof (pubs as Record<string, unknown>)['accepted'] === 'number' ? (pubs as { accepted: number; total: number }) : undefined;
            d({ type: 'conversation', key, action: { type: 'status', id: p['id'], status, pubs: pubsOk, newId: typeof p['newId'] === 'string' ? p['newId'] : undefined } });
          }
          return;
        }
        case 'group/didChange': {
          const groupId = typeof p['groupId'] === 'string' ? p['groupId'] : null;
          const group = p['group'] === null ? null : parseGroup(p['group']);
          if (groupId && (group !== null || p['group'] === null)) d({ type: 'sidebar', action: { type: 'group', groupId, group } });
          else void reloadSidebar().catch(() => undefined);
          return;
        }
        case 'group/didInvite': {
          const invite = parseInvite(p) ?? parseInvite(p['invite']);
          if (invite) d({ type: 'sidebar', action: { type: 'invite', invite } });
          else void reloadSidebar().catch(() => undefined);
          return;
        }
        case 'pub/didChange':
        case 'peer/didChange':
          void refreshStatus().catch(() => undefined);
          return;
      }
    },
    [now, refreshStatus, reloadSidebar],
  );

  // the link's state, its (re)connections and its notifications; the link started here, stopped by the caller
  useEffect(() => {
    const offState = link.onState(({ state: st, detail }) => dispatch({ type: 'link', state: st, detail }));
    const offOpen = link.onOpen(() => void onOpen());
    const offNote = link.onNotification((n) => onNotification(n.method, n.params));
    dispatch({ type: 'link', state: link.state, detail: link.detail });
    link.start();
    // the clock (a state change only while tor is not ready: see appReducer 'clock')
    const clock = setInterval(() => dispatch({ type: 'clock', at: now() }), CLOCK_MS);
    return () => {
      clearInterval(clock);
      offState();
      offOpen();
      offNote();
    };
  }, [link, onOpen, onNotification, now]);

  // login: once Enter made the form busy, send it
  useEffect(() => {
    const ready = readyToSubmit(state.login);
    if (state.screen !== 'login' || !ready) return;
    let cancelled = false;
    const mode = state.login.mode;
    (async () => {
      try {
        if (mode === 'create') {
          const r = (await link.call('profile/create', { name: ready.name, passphrase: ready.passphrase })) as { address?: unknown };
          if (cancelled) return;
          dispatch({ type: 'login', action: { type: 'submitted' } });
          await enterChat({ address: String(r.address), name: ready.name });
        } else {
          await link.call('profile/unlock', { passphrase: ready.passphrase });
          if (cancelled) return;
          dispatch({ type: 'login', action: { type: 'submitted' } });
          const st = await refreshStatus();
          await enterChat({ address: st.profile?.address ?? '', name: st.profile?.name ?? '' });
        }
      } catch (err) {
        if (cancelled) return;
        dispatch({ type: 'login', action: { type: 'failed', error: describeError(err), retry: mode === 'create' ? 'passphrase' : 'passphrase' } });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [state.screen, state.login, link, enterChat, refreshStatus]);

  const selected = selectedEntry(state.sidebar);
  const selectedKey = isConversationKey(selected?.key) && selected?.pending === null ? selected.key : null;
  const conv: ConversationState | undefined = selectedKey ? state.conversations[selectedKey] : undefined;

  // the selected conversation's first page
  useEffect(() => {
    if (state.screen !== 'chat' || link.state !== 'open' || !selectedKey) return;
    const c = stateRef.current.conversations[selectedKey] ?? initialConversationState;
    if (!c.loaded && c.loading === 'none' && c.error === null) void loadNewest(selectedKey);
  }, [state.screen, state.link.state, selectedKey, link, loadNewest]);

  // everything shown is read
  const lastReceived = conv ? [...conv.items].reverse().find((i) => i.status === 'received') : undefined;
  const marked = useRef(new Map<string, string>());
  useEffect(() => {
    if (!selectedKey || !lastReceived || !state.methods.has('message/markRead') || state.link.state !== 'open') return;
    if (marked.current.get(selectedKey) === lastReceived.id) return;
    marked.current.set(selectedKey, lastReceived.id);
    markRead(link, targetOf(selectedKey), lastReceived.id).catch(() => marked.current.delete(selectedKey));
  }, [selectedKey, lastReceived?.id, state.methods, state.link.state, link]);

  // --- the conversation's lines --------------------------------------------------------------

  const nameOf = useMemo(() => {
    const names = new Map<string, string>();
    for (const c of state.sidebar.contacts) names.set(c.address, contactTitle(c));
    return (address: string) => names.get(address) ?? address.slice(0, 8);
  }, [state.sidebar.contacts]);
  const lines = useMemo(
    () => (conv ? layoutLines(conv.items, { me: state.me?.address ?? '', nameOf, width: convWidth - 1 }) : []),
    [conv?.items, state.me?.address, nameOf, convWidth],
  );
  const shown = conv ? visibleLines(lines, bodyHeight, conv.scroll) : [];

  // scrolled to the top of what is held: page in the next older page
  useEffect(() => {
    if (selectedKey && conv && wantsOlder(conv, lines.length, bodyHeight) && conv.scroll > 0) void loadOlder(selectedKey);
  }, [selectedKey, conv, lines.length, bodyHeight, loadOlder]);

  // --- actions -------------------------------------------------------------------------------

  const notice = (level: 'error' | 'info', text: string) => dispatch({ type: 'notice', notice: { level, text } });

  const send = async (text: string) => {
    const s = stateRef.current;
    const e = selectedEntry(s.sidebar);
    if (!e) return notice('error', 'no conversation yet: /add ADDRESS to ask someone');
    if (!isConversationKey(e.key) || e.pending !== null) return notice('error', e.pending === 'incoming' || e.pending === 'invite' ? 'answer first: /accept or /block' : 'you can write once they accept');
    const key = e.key;
    const editing = s.input.editing;
    dispatch({ type: 'input', action: { type: 'clear' } });
    dispatch({ type: 'notice', notice: null });
    if (editing) {
      try {
        await editMessage(link, targetOf(key), editing, text);
        dispatch({ type: 'conversation', key, action: { type: 'edited', id: editing, text } });
      } catch (err) {
        dispatch({ type: 'input', action: { type: 'restore', text, editing } });
        notice('error', `not edited: ${describeError(err)}`);
      }
      return;
    }
    localIds.current += 1;
    const localId = `local-${localIds.current}`;
    const item: Item = { id: localId, kind: 'message', author: s.me?.address ?? '', ts: now(), text, status: 'sending' };
    dispatch({ type: 'conversation', key, action: { type: 'sending', item } });
    try {
      const id = await sendMessage(link, targetOf(key), text);
      dispatch({ type: 'conversation', key, action: { type: 'sent', localId, item: { ...item, id, status: 'outbox', ...(key.startsWith('g:') ? { pubs: { accepted: 0, total: s.sidebar.groups.find((g) => groupKey(g.groupId) === key)?.pubs.length ?? 0 } } : {}) } } });
      dispatch({ type: 'sidebar', action: { type: 'activity', key, ts: item.ts } });
    } catch (err) {
      dispatch({ type: 'conversation', key, action: { type: 'sendFailed', localId } });
      // nothing typed is lost: the text goes back on the line, before anything typed since
      dispatch({ type: 'input', action: { type: 'restore', text } });
      notice('error', `not sent: ${describeError(err)}`);
    }
  };

  const commandContext = (): CommandContext => ({
    link,
    state: stateRef.current,
    select: (key) => dispatch({ type: 'sidebar', action: { type: 'select', key } }),
    reload: async () => {
      await reloadSidebar();
    },
    show: (title, l, qr) => dispatch({ type: 'overlay', overlay: { kind: 'text', title, lines: l, qr } }),
    info: (text) => notice('info', text),
    help: () => dispatch({ type: 'overlay', overlay: { kind: 'help' } }),
    quit: () => exit(),
    unpick: () => {
      if (selectedKey) dispatch({ type: 'conversation', key: selectedKey, action: { type: 'unselectMessage' } });
    },
    refresh: async () => {
      if (!selectedKey) return;
      const items = await listMessages(link, targetOf(selectedKey), { limit: PAGE_SIZE });
      dispatch({ type: 'conversation', key: selectedKey, action: { type: 'merge', items } });
    },
  });

  const submit = (text: string) => {
    if (text.trim() === '') return;
    const parsed = parseLine(text);
    if (parsed.kind === 'text') return void send(parsed.text);
    if (parsed.kind === 'error') return notice('error', parsed.error);
    dispatch({ type: 'input', action: { type: 'clear' } });
    dispatch({ type: 'notice', notice: null });
    runCommand(parsed.command, commandContext()).catch((err: unknown) => {
      // the command's line comes back, so it can be corrected
      dispatch({ type: 'input', action: { type: 'restore', text } });
      notice('error', err instanceof CommandError ? err.message : describeError(err));
    });
  };

  const onTab = () => {
    const s = stateRef.current;
    const { word, start } = wordBeforeCursor(s.input);
    const names = s.sidebar.contacts.map((c) => contactTitle(c).replace(/^~/, '')).filter((n) => !n.includes(' '));
    const c = complete(word, start === 0, names);
    if (c.replacement !== word) dispatch({ type: 'input', action: { type: 'complete', replacement: c.replacement } });
    if (c.matches.length > 1) notice('info', c.matches.join('  '));
  };

  const onUpWhenEmpty = () => {
    const s = stateRef.current;
    if (!s.methods.has('message/edit') || !selectedKey) return;
    const c = s.conversations[selectedKey];
    const last = c && s.me ? lastOwnMessage(c, s.me.address) : undefined;
    if (last) dispatch({ type: 'input', action: { type: 'set', text: last.text, editing: last.id } });
  };

  // --- keys ----------------------------------------------------------------------------------

  const chatKeys = state.screen === 'chat' && state.overlay === null;
  useInputLine(
    state.input,
    {
      dispatch: (action) => dispatch({ type: 'input', action }),
      onSubmit: submit,
      onTab,
      onUpWhenEmpty,
      onHelp: () => dispatch({ type: 'overlay', overlay: { kind: 'help' } }),
      onEscape: () => {
        if (stateRef.current.input.editing) dispatch({ type: 'input', action: { type: 'clear' } });
        if (selectedKey) dispatch({ type: 'conversation', key: selectedKey, action: { type: 'unselectMessage' } });
        dispatch({ type: 'notice', notice: null });
      },
    },
    chatKeys,
  );
  useSidebarKeys((action) => dispatch({ type: 'sidebar', action }), () => dispatch({ type: 'overlay', overlay: openSwitcher() }), chatKeys);
  useConversationKeys(
    (n) => {
      if (!selectedKey) return;
      dispatch({ type: 'conversation', key: selectedKey, action: { type: 'scroll', lines: n, maxScroll: Math.max(0, lines.length - bodyHeight + 1) } });
    },
    bodyHeight,
    chatKeys,
    (delta) => {
      if (selectedKey) dispatch({ type: 'conversation', key: selectedKey, action: { type: 'selectMessage', delta } });
    },
  );
  useLoginKeys((action) => dispatch({ type: 'login', action }), state.screen === 'login');

  const candidates = useMemo(() => entriesOf(state.sidebar).map((e) => ({ key: e.key, title: e.title })), [state.sidebar]);
  const switcher = state.overlay?.kind === 'switcher' ? state.overlay.switcher : null;
  const matches = useMemo(() => (switcher ? fuzzyMatches(switcher.query, candidates) : []), [switcher, candidates]);
  const closeOverlay = () => dispatch({ type: 'overlay', overlay: null });
  useSwitcherKeys(
    (action) => dispatch({ type: 'switcher', action }),
    matches.length,
    () => {
      const pick = matches[switcher?.highlighted ?? 0];
      if (pick) dispatch({ type: 'sidebar', action: { type: 'select', key: pick.key } });
      closeOverlay();
    },
    closeOverlay,
    state.screen === 'chat' && switcher !== null,
  );
  useOverlayKeys(closeOverlay, state.screen === 'chat' && (state.overlay?.kind === 'help' || state.overlay?.kind === 'text'));

  // --- view ----------------------------------------------------------------------------------

  if (state.screen === 'connecting') {
    return (
      <Box flexDirection="column" paddingLeft={1} paddingTop={1}>
        <Text bold color={theme.accent}>snug</Text>
        <Text>{state.link.state === 'open' ? 'connected; asking the daemon…' : `connecting to the daemon… ${state.link.detail ?? ''}`}</Text>
        <Text color={theme.dim}>home: {home}</Text>
        {state.notice ? <Text color={theme.error}>{state.notice.text}</Text> : null}
      </Box>
    );
  }
  if (state.screen === 'login') return <LoginView state={state.login} home={home} />;

  let title = 'snug';
  let subtitle = '';
  let warning: string | null = null;
  if (selected?.kind === 'group') {
    const g = state.sidebar.groups.find((x) => groupKey(x.groupId) === selected.key);
    title = selected.title;
    subtitle = g ? `${g.members} member${g.members === 1 ? '' : 's'} · ${g.role} · ${g.pubs.length} pub${g.pubs.length === 1 ? '' : 's'}` : '';
    warning = g ? groupIntegrity(g) : null;
  } else if (selected?.kind === 'contact') {
    const c = state.sidebar.contacts.find((x) => contactKey(x.address) === selected.key);
    title = selected.title;
    subtitle = c ? `${c.online ? 'online' : 'offline'} · ${c.address.slice(0, 16)}…` : '';
  } else if (selected?.kind === 'invite') {
    title = selected.title;
    subtitle = 'invite';
  }
  const panel = selected ? pendingPanel(selected, state) : ['No conversations yet.', '', '/me shows your address to give to someone; /add ADDRESS asks someone to be your contact.', '? shows every key and command.'];

  let banner: { color: string; text: string } | null = null;
  if (state.notice) banner = { color: state.notice.level === 'error' ? theme.error : theme.dim, text: state.notice.text };
  else if (state.link.state !== 'open') banner = { color: theme.warn, text: `the daemon is not connected: ${state.link.detail ?? 'reconnecting…'} (what you type is kept)` };
  else if (torStalled(state.tor, Math.max(now(), state.clock))) banner = { color: theme.error, text: 'tor cannot reach the network (no progress for 60 s). Without internet, try `snug demo`.' };
  else if (state.tor && state.tor.transport === 'tor' && state.tor.state !== 'ready') banner = { color: theme.warn, text: `connecting to tor: ${state.tor.bootstrap}%${state.tor.summary ? ` ${state.tor.summary}` : ''}` };

  let centre;
  if (state.overlay?.kind === 'help') centre = <OverlayView title="Keys and commands" lines={helpLines()} height={mainHeight} width={convWidth + 1} />;
  else if (state.overlay?.kind === 'text') centre = <OverlayView title={state.overlay.title} lines={state.overlay.lines} qr={state.overlay.qr} height={mainHeight} width={convWidth + 1} />;
  else if (switcher) centre = <SwitcherView state={switcher} matches={matches} height={mainHeight} />;
  else centre = <ConversationView title={title} subtitle={subtitle} warning={warning} state={conv} lines={shown} height={mainHeight} panel={panel} />;

  return (
    <Box flexDirection="column" height={size.rows - 1} width={size.columns}>
      <Box flexDirection="row" height={mainHeight}>
        <Sidebar state={state.sidebar} height={mainHeight} />
        {centre}
      </Box>
      <Text color={banner?.color} wrap="truncate">{banner ? banner.text : ' '}</Text>
      <InputLine state={state.input} placeholder={selected ? ` write to ${selected.title} (? for help)` : ' /add ADDRESS, /join INVITE, ? for help'} width={size.columns} />
      <StatusBar link={state.link.state} tor={state.tor} pubs={state.pubs} peersOnline={state.peersOnline} me={state.me?.name ?? null} />
    </Box>
  );
}
