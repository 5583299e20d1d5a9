import { LIMITS } from './discord.text.js';

/**
 * Custom ids of the components the adapter renders (≤ 100 characters). The first letter says what
 * a press means; the rest is the command and its arguments, or the id of a stored form draft.
 */
export type ComponentRef =
  /** A card button: run `command` with `args`. */
  | { kind: 'action'; command: string; args: Record<string, string> }
  /** A select whose chosen value is the incident id for `command` (e.g. "show" from a queue). */
  | { kind: 'pick'; command: string }
  /** A modal of a form draft; step 1 is the first modal, 2 a "more details" modal. */
  | { kind: 'modal'; draftId: string; step: 1 | 2 }
  /** A select in a form's follow-up message, answering `field`. */
  | { kind: 'field'; draftId: string; field: string }
  | { kind: 'submit'; draftId: string }
  | { kind: 'edit'; draftId: string }
  | { kind: 'cancel'; draftId: string };

export function encodeRef(ref: ComponentRef): string {
  let id: string;
  switch (ref.kind) {
    case 'action': {
      id = `a|${ref.command}|${new URLSearchParams(ref.args).toString()}`;
      // Buttons carry little more than an incident id; keep only that if the rest would not fit.
      if (id.length > LIMITS.customId) id = `a|${ref.command}|${new URLSearchParams(ref.args.id ? { id: ref.args.id } : {}).toString()}`;
      break;
    }
    case 'pick':
      id = `p|${ref.command}`;
      break;
    case 'modal':
      id = `m|${ref.draftId}|${ref.step}`;
      break;
    case 'field':
      id = `f|${ref.draftId}|${ref.field}`;
      break;
    case 'submit':
      id = `x|${ref.draftId}`;
      break;
    case 'edit':
      id = `e|${ref.draftId}`;
      break;
    case 'cancel':
      id = `c|${ref.draftId}`;
      break;
  }
  return id.slice(0, LIMITS.customId);
}

/** Parses a custom id; undefined for anything this adapter did not make (old or foreign components). */
export function decodeRef(customId: string): ComponentRef | undefined {
  const [kind, a = '', b = ''] = customId.split('|');
  if (!a) return undefined;
  switch (kind) {
    case 'a':
      return { kind: 'action', command: a, args: Object.fromEntries(new URLSearchParams(b)) };
    case 'p':
      return { kind: 'pick', command: a };
    case 'm':
      return { kind: 'modal', draftId: a, step: b === '2' ? 2 : 1 };
    case 'f':
      return b ? { kind: 'field', draftId: a, field: b } : undefined;
    case 'x':
      return { kind: 'submit', draftId: a };
    case 'e':
      return { kind: 'edit', draftId: a };
    case 'c':
      return { kind: 'cancel', draftId: a };
    default:
      return undefined;
  }
}
