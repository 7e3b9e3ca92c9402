/**
 * Tab completion (pure): a word starting with `/` at the start of the line completes to a
 * command; any other word to a contact's or member's name. One match replaces the word (a
 * command gets a space after it); several complete to their common prefix.
 */
import { COMMANDS } from './parse.js';

export interface Completion {
  /** What replaces the word (the word itself when nothing matches). */
  readonly replacement: string;
  /** Every match, for the hint line. */
  readonly matches: readonly string[];
}

function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return '';
  let p = words[0]!;
  for (const w of words) while (!w.toLowerCase().startsWith(p.toLowerCase())) p = p.slice(0, -1);
  return p;
}

export function complete(word: string, atLineStart: boolean, names: readonly string[]): Completion {
  const candidates = atLineStart && word.startsWith('/') ? COMMANDS.map((c) => `/${c.name}`) : names;
  const matches = [...new Set(candidates.filter((c) => c.toLowerCase().startsWith(word.toLowerCase())))];
  if (matches.length === 0 || word === '') return { replacement: word, matches: word === '' ? [] : matches };
  if (matches.length === 1) return { replacement: matches[0]! + (atLineStart && word.startsWith('/') ? ' ' : ''), matches };
  const prefix = commonPrefix(matches);
  return { replacement: prefix.length > word.length ? prefix : word, matches };
}
