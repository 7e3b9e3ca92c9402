/**
 * The causal-order index of one group's log: every stored entry (and notice) in the order
 * message/list shows, kept in memory (built when the profile unlocks, updated on every insert),
 * so a page of 50 out of 100,000 is two binary searches and a slice.
 *
 * The order. Each item has a key (ts, level, id):
 *   ts    = max(min(claimed timestamp, arrival here), max ts of the entries it references)
 *   level = 1 + max level of the entries it references (0 when it references none held here)
 * and items are sorted by ts, then level, then id. An entry references its author's previous
 * entry and its heads, so it always sorts after them (its ts is at least theirs, and when equal
 * its level is higher): the order is a topological order of the causal graph, ties broken by
 * time. The clamp keeps a sender from pushing a message far out of place: a claimed time before
 * what it cites is raised to that, and one after its arrival here is lowered to the arrival.
 *
 * An entry may arrive before what it references (a gap a pub or sync fills later). It is placed
 * with what is held; when a missing reference arrives, the keys of the entries waiting for it
 * (and of everything after them, as far as they change) are raised. Keys only ever rise.
 *
 * `tips` are the entries nothing held references yet: the heads the next own entry names.
 */

export interface OrderKey {
  readonly ts: number;
  readonly level: number;
  readonly id: string;
}

interface Node {
  readonly id: string;
  /** min(claimed, arrival): the time before the lower clamp. */
  readonly base: number;
  readonly deps: readonly string[];
  ts: number;
  level: number;
}

function compare(a: OrderKey, b: OrderKey): number {
  return a.ts - b.ts || a.level - b.level || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export class CausalOrder {
  /** Sorted by key. */
  readonly #sorted: Node[] = [];
  readonly #nodes = new Map<string, Node>();
  /** id -> ids of held nodes that reference it (held or not). */
  readonly #dependents = new Map<string, string[]>();
  readonly #tips = new Set<string>();

  get size(): number {
    return this.#sorted.length;
  }

  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  key(id: string): OrderKey | undefined {
    return this.#nodes.get(id);
  }

  /** Ids of held entries that nothing held references (newest first). */
  tips(): string[] {
    return [...this.#tips].map((id) => this.#nodes.get(id)!).sort((a, b) => -compare(a, b)).map((n) => n.id);
  }

  #index(key: OrderKey): number {
    // first position whose key is >= key
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.#sorted[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The position of `id` in the order, or -1. */
  position(id: string): number {
    const n = this.#nodes.get(id);
    if (n === undefined) return -1;
    const i = this.#index(n);
    return this.#sorted[i] === n ? i : -1;
  }

  #place(n: Node): void {
    let ts = n.base;
    let level = 0;
    for (const d of n.deps) {
      const dep = this.#nodes.get(d);
      if (dep === undefined) continue;
      if (dep.ts > ts) ts = dep.ts;
      if (dep.level + 1 > level) level = dep.level + 1;
    }
    n.ts = ts;
    n.level = level;
  }

  /**
   * Adds an item: `claimed` its claimed time, `arrival` when it was made or first stored here,
   * `deps` the ids it references. Adding an id already held does nothing.
   */
  add(id: string, claimed: number, arrival: number, deps: readonly string[]): void {
    if (this.#nodes.has(id)) return;
    const n: Node = { id, base: Math.min(claimed, arrival), deps, ts: 0, level: 0 };
    this.#place(n);
    this.#nodes.set(id, n);
    this.#sorted.splice(this.#index(n), 0, n);
    for (const d of deps) {
      let list = this.#dependents.get(d);
      if (list === undefined) this.#dependents.set(d, (list = []));
      list.push(id);
      this.#tips.delete(d);
    }
    const waiting = this.#dependents.get(id);
    if (waiting === undefined || waiting.length === 0) this.#tips.add(id);
    else this.#raise(waiting);
  }

  /**
   * Adds many items at once (loading a log on unlock): keys are computed in one topological pass
   * over the references held and the order is sorted once, instead of an insert (and raises) per
   * item. The result is the same as adding them one by one in any order.
   */
  addAll(items: ReadonlyArray<{ readonly id: string; readonly claimed: number; readonly arrival: number; readonly deps: readonly string[] }>): void {
    const fresh: Node[] = [];
    for (const it of items) {
      if (this.#nodes.has(it.id)) continue;
      const n: Node = { id: it.id, base: Math.min(it.claimed, it.arrival), deps: it.deps, ts: 0, level: 0 };
      this.#nodes.set(n.id, n);
      fresh.push(n);
    }
    const waiting = new Map<string, number>();
    const freshIds = new Set(fresh.map((n) => n.id));
    for (const n of fresh) {
      let held = 0;
      for (const d of n.deps) {
        let list = this.#dependents.get(d);
        if (list === undefined) this.#dependents.set(d, (list = []));
        list.push(n.id);
        if (freshIds.has(d)) held++;
      }
      waiting.set(n.id, held);
    }
    const ready: Node[] = fresh.filter((n) => waiting.get(n.id) === 0);
    let placed = 0;
    while (ready.length > 0) {
      const n = ready.pop()!;
      this.#place(n);
      placed++;
      for (const d of this.#dependents.get(n.id) ?? []) {
        const left = waiting.get(d);
        if (left === undefined) continue;
        waiting.set(d, left - 1);
        if (left - 1 === 0) ready.push(this.#nodes.get(d)!);
      }
    }
    if (placed < fresh.length) for (const n of fresh) if (waiting.get(n.id)! > 0) this.#place(n); // (a cycle cannot be hashed; defensive)
    for (const n of fresh) this.#sorted.push(n);
    this.#sorted.sort(compare);
    for (const n of fresh) {
      for (const d of n.deps) this.#tips.delete(d);
    }
    for (const n of fresh) if ((this.#dependents.get(n.id)?.length ?? 0) === 0) this.#tips.add(n.id);
  }

  /** Re-places the given nodes (a reference of theirs arrived) and whatever follows from them. */
  #raise(ids: readonly string[]): void {
    const queue = [...ids];
    while (queue.length > 0) {
      const n = this.#nodes.get(queue.shift()!);
      if (n === undefined) continue;
      const before = { ts: n.ts, level: n.level, id: n.id };
      const at = this.#index(before);
      this.#place(n);
      if (n.ts === before.ts && n.level === before.level) continue;
      this.#sorted.splice(at, 1);
      this.#sorted.splice(this.#index(n), 0, n);
      for (const d of this.#dependents.get(n.id) ?? []) queue.push(d);
    }
  }

  /**
   * Removes an item nothing references (an own entry re-made under a new epoch before anyone
   * saw it). Returns false when it is referenced or not held.
   */
  remove(id: string): boolean {
    const n = this.#nodes.get(id);
    if (n === undefined || (this.#dependents.get(id)?.length ?? 0) > 0) return false;
    this.#sorted.splice(this.#index(n), 1);
    this.#nodes.delete(id);
    this.#tips.delete(id);
    this.#dependents.delete(id);
    for (const d of n.deps) {
      const list = this.#dependents.get(d);
      if (list === undefined) continue;
      const i = list.indexOf(id);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) {
        this.#dependents.delete(d);
        if (this.#nodes.has(d)) this.#tips.add(d);
      }
    }
    return true;
  }

  /**
   * A page of ids, oldest first: with `after`, the first `limit` after it; else the newest
   * `limit` before `before` (or of all). An unknown `before` or `after` gives an empty page.
   */
  page(o: { readonly before?: string | undefined; readonly after?: string | undefined; readonly limit: number }): string[] {
    let start = 0;
    let end = this.#sorted.length;
    if (o.after !== undefined) {
      const i = this.position(o.after);
      if (i === -1) return [];
      start = i + 1;
    }
    if (o.before !== undefined) {
      const i = this.position(o.before);
      if (i === -1) return [];
      end = i;
    }
    if (end <= start) return [];
    const slice = o.after !== undefined ? this.#sorted.slice(start, Math.min(end, start + o.limit)) : this.#sorted.slice(Math.max(start, end - o.limit), end);
    return slice.map((n) => n.id);
  }

  /** Ids after position `from` (exclusive), in order. */
  idsAfter(from: number): string[] {
    return this.#sorted.slice(from + 1).map((n) => n.id);
  }
}
