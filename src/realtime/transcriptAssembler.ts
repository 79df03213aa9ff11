import type { Turn } from '../leads/lead.js';
import { storableText } from '../wire/storableText.js';

/** What a failed user transcription reads as in the transcript. */
export const INAUDIBLE = '[inaudible]';

/** A transcript turn, with the conversation item it came from; `failed` when the transcription failed. */
export interface AssembledTurn extends Turn {
  itemId: string;
  failed?: true;
}

interface ItemRecord {
  role: string | undefined;
  previousItemId: string | null | undefined;
  /** Order of first sight, the tie-breaker among items whose predecessor is unknown. */
  seen: number;
  text?: string;
  failed?: true;
  failureReason?: string;
}

/**
 * Builds the call transcript from Realtime events, ordered by the conversation's item chain (`previous_item_id`),
 * not by arrival: a caller's transcription usually arrives after the agent has already answered. Its text is made
 * storable (wire/storableText.ts) as it arrives: the transcript goes into the session row and the spool as it is.
 */
export class TranscriptAssembler {
  private readonly items = new Map<string, ItemRecord>();
  private seen = 0;

  /**
   * A conversation item was added (conversation.item.added / created). Every item counts, so the chain holds.
   * True when the item is new to the assembler (a repeated announcement of a known item is not).
   */
  onItemAdded(itemId: string, previousItemId: string | null | undefined, role?: string): boolean {
    const existing = this.items.get(itemId);
    if (existing === undefined) {
      this.items.set(itemId, { role, previousItemId, seen: this.seen++ });
      return true;
    }
    // Known from an earlier transcript event: fill in what that event could not say.
    if (existing.role === undefined) existing.role = role;
    if (existing.previousItemId === undefined) existing.previousItemId = previousItemId;
    return false;
  }

  /** conversation.item.input_audio_transcription.completed */
  onUserTranscript(itemId: string, text: string): void {
    const item = this.record(itemId, 'user');
    item.text = storableText(text.trim());
    delete item.failed;
  }

  /** conversation.item.input_audio_transcription.failed: kept in the transcript as inaudible. */
  onUserTranscriptFailed(itemId: string, reason: string): void {
    const item = this.record(itemId, 'user');
    if (item.text !== undefined && !item.failed) return; // a late failure does not erase a transcript
    item.text = INAUDIBLE;
    item.failed = true;
    item.failureReason = reason;
  }

  /** response.output_audio_transcript.done */
  onAssistantTranscript(itemId: string, text: string): void {
    this.record(itemId, 'assistant').text = storableText(text.trim());
  }

  /** User items whose transcription (completed or failed) has not arrived yet. */
  pendingCount(): number {
    let n = 0;
    for (const item of this.items.values()) if (item.role === 'user' && item.text === undefined) n++;
    return n;
  }

  /** The turns with text, in conversation order. */
  turns(): AssembledTurn[] {
    const turns: AssembledTurn[] = [];
    for (const id of this.orderedIds()) {
      const item = this.items.get(id);
      if (item === undefined || item.text === undefined || item.text === '') continue;
      if (item.role !== 'user' && item.role !== 'assistant') continue;
      const turn: AssembledTurn = { role: item.role, text: item.text, itemId: id };
      if (item.failed) turn.failed = true;
      turns.push(turn);
    }
    return turns;
  }

  private record(itemId: string, role: 'user' | 'assistant'): ItemRecord {
    let item = this.items.get(itemId);
    if (item === undefined) {
      item = { role, previousItemId: undefined, seen: this.seen++ };
      this.items.set(itemId, item);
    } else if (item.role === undefined) {
      item.role = role;
    }
    return item;
  }

  /**
   * Item ids in conversation order. The chain is a linked list built by "insert after previous_item_id": an item
   * inserted later after the same predecessor comes first, so children are visited newest first. Items whose
   * predecessor is null or unknown start chains of their own, in the order they were first seen.
   */
  private orderedIds(): string[] {
    const children = new Map<string, string[]>();
    const roots: string[] = [];
    const bySeen = [...this.items.entries()].sort((a, b) => a[1].seen - b[1].seen);
    for (const [id, item] of bySeen) {
      const prev = item.previousItemId;
      if (prev != null && prev !== id && this.items.has(prev)) {
        const list = children.get(prev);
        if (list === undefined) children.set(prev, [id]);
        else list.push(id);
      } else {
        roots.push(id);
      }
    }
    const order: string[] = [];
    const visited = new Set<string>();
    // Iterative depth-first walk (calls can be long; no recursion limit to hit).
    for (const root of roots) {
      const stack = [root];
      while (stack.length > 0) {
        const id = stack.pop() as string;
        if (visited.has(id)) continue;
        visited.add(id);
        order.push(id);
        // Visit newest child first: push oldest first so the newest is popped first.
        const kids = children.get(id);
        if (kids !== undefined) for (const kid of kids) stack.push(kid);
      }
    }
    // A cycle (malformed ids) leaves items unvisited: keep them, in order of first sight.
    for (const [id] of bySeen) if (!visited.has(id)) order.push(id);
    return order;
  }
}
