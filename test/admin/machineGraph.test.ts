import { describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine } from 'xstate';
import { callMachine } from '../../machines/callMachine.js';
import {
  callMachineLayout,
  machineLayout,
  textWidth,
  type LayoutNode,
  type LayoutPoint,
  type MachineLayout,
} from '../../src/admin/machineGraph.js';
import { stateName } from '../../src/calls/stateName.js';

type StateNode = AnyStateMachine['root'];

/** Every state under the root, with its dotted path and its parent's. */
function statesOf(machine: AnyStateMachine): Array<{ id: string; parent: string | null; node: StateNode }> {
  const found: Array<{ id: string; parent: string | null; node: StateNode }> = [];
  const walk = (node: StateNode, parent: string | null): void => {
    for (const child of Object.values(node.states) as StateNode[]) {
      const id = child.path.join('.');
      found.push({ id, parent, node: child });
      walk(child, id);
    }
  };
  walk(machine.root, null);
  return found;
}

/** The transitions that change state: one per target, as the layout draws them. */
function stateChangingTransitions(machine: AnyStateMachine): Array<{ source: string; target: string; event: string }> {
  return statesOf(machine).flatMap(({ id, node }) =>
    [...node.transitions.values()].flat().flatMap((t) =>
      (t.target ?? []).map((target) => ({ source: id, target: target.path.join('.'), event: t.eventType })),
    ),
  );
}

/** `submitting.accepting` as the state value `{ submitting: 'accepting' }`. */
function valueOf(id: string): unknown {
  const parts = id.split('.');
  return parts.slice(0, -1).reduceRight<unknown>((inner, key) => ({ [key]: inner }), parts[parts.length - 1]);
}

/** How far a point is from a box's border (0 on it), inside or out. */
function distanceToBorder(p: LayoutPoint, n: LayoutNode): number {
  const dx = Math.max(n.x - p.x, 0, p.x - (n.x + n.width));
  const dy = Math.max(n.y - p.y, 0, p.y - (n.y + n.height));
  if (dx > 0 || dy > 0) return Math.hypot(dx, dy);
  return Math.min(p.x - n.x, n.x + n.width - p.x, p.y - n.y, n.y + n.height - p.y);
}

function inside(inner: LayoutNode, outer: LayoutNode): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

function overlap(a: LayoutNode, b: LayoutNode): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** The geometric checks that hold for any machine's layout. */
function expectWellFormed(layout: MachineLayout): void {
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));
  expect(byId.size).toBe(layout.nodes.length);
  for (const node of layout.nodes) {
    expect(node.width).toBeGreaterThan(0);
    expect(node.height).toBeGreaterThan(0);
    expect(node.x).toBeGreaterThanOrEqual(0);
    expect(node.y).toBeGreaterThanOrEqual(0);
    expect(node.x + node.width).toBeLessThanOrEqual(layout.width);
    expect(node.y + node.height).toBeLessThanOrEqual(layout.height);
    if (node.parent !== null) {
      const parent = byId.get(node.parent);
      expect(parent, `${node.id}'s parent`).toBeDefined();
      expect(parent?.compound).toBe(true);
      expect(inside(node, parent as LayoutNode), `${node.id} inside ${node.parent}`).toBe(true);
    }
  }
  // Siblings do not overlap (a parent and its children do, by design).
  for (const a of layout.nodes) {
    for (const b of layout.nodes) {
      if (a.id < b.id && a.parent === b.parent) expect(overlap(a, b), `${a.id} / ${b.id}`).toBe(false);
    }
  }
  // A parent comes before its children, so drawing in order puts containers behind.
  const order = new Map(layout.nodes.map((n, i) => [n.id, i]));
  for (const node of layout.nodes) {
    if (node.parent !== null) expect(order.get(node.parent)).toBeLessThan(order.get(node.id) as number);
  }

  const edgeIds = new Set(layout.edges.map((e) => e.id));
  expect(edgeIds.size).toBe(layout.edges.length);
  for (const edge of layout.edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    expect(source, edge.id).toBeDefined();
    expect(target, edge.id).toBeDefined();
    expect(edge.points.length, edge.id).toBeGreaterThanOrEqual(2);
    for (const p of [...edge.points, ...(edge.labelPos ? [edge.labelPos] : [])]) {
      expect(p.x, edge.id).toBeGreaterThanOrEqual(0);
      expect(p.y, edge.id).toBeGreaterThanOrEqual(0);
      expect(p.x, edge.id).toBeLessThanOrEqual(layout.width);
      expect(p.y, edge.id).toBeLessThanOrEqual(layout.height);
    }
    const first = edge.points[0] as LayoutPoint;
    const last = edge.points[edge.points.length - 1] as LayoutPoint;
    expect(distanceToBorder(first, source as LayoutNode), `${edge.id} starts on ${edge.source}`).toBeLessThan(1.5);
    expect(distanceToBorder(last, target as LayoutNode), `${edge.id} ends on ${edge.target}`).toBeLessThan(1.5);
    expect(edge.labelPos, edge.id).toBeDefined();
  }
}

describe('callMachineLayout', () => {
  it('has every state of the call machine as a node, under its parent, by its dotted name', async () => {
    const layout = await callMachineLayout();
    const states = statesOf(callMachine);
    expect(layout.nodes.map((n) => n.id).sort()).toEqual(states.map((s) => s.id).sort());
    for (const { id, parent, node } of states) {
      const laid = layout.nodes.find((n) => n.id === id);
      expect(laid, id).toMatchObject({
        label: node.key,
        parent,
        final: node.type === 'final',
        compound: node.type === 'compound',
      });
    }
    for (const id of [
      'connecting',
      'streaming',
      'streaming.conversing',
      'streaming.closing',
      'awaiting-transcript',
      'extracting',
      'submitting',
      'submitting.accepting',
      'submitting.delivering',
      'submitting.spooling',
      'saved-success',
      'saved-review',
      'saved-failure',
      'handed-off',
    ]) {
      expect(layout.nodes.some((n) => n.id === id), id).toBe(true);
    }
  });

  it('names each leaf as stateName(snapshot.value) does for it', async () => {
    const layout = await callMachineLayout();
    const leaves = layout.nodes.filter((n) => !n.compound);
    expect(leaves.length).toBeGreaterThan(0);
    for (const leaf of leaves) {
      const snapshot = callMachine.resolveState({ value: valueOf(leaf.id) as never, context: {} as never });
      expect(stateName(snapshot.value)).toBe(leaf.id);
    }
  });

  it('marks the initial states and the finals', async () => {
    const layout = await callMachineLayout();
    const initial = layout.nodes.filter((n) => n.initial).map((n) => n.id);
    expect(initial.sort()).toEqual(['connecting', 'streaming.conversing', 'submitting.accepting']);
    const finals = layout.nodes.filter((n) => n.final).map((n) => n.id);
    expect(finals.sort()).toEqual(['handed-off', 'saved-failure', 'saved-review', 'saved-success']);
  });

  it('is a well-formed drawing: children inside parents, edges inside the drawing from border to border', async () => {
    expectWellFormed(await callMachineLayout());
  });

  it('draws each state-changing transition once, labelled by its event', async () => {
    const layout = await callMachineLayout();
    const drawn = layout.edges.map((e) => `${e.source} -> ${e.target} on ${e.event}`).sort();
    const expected = stateChangingTransitions(callMachine)
      .map((t) => `${t.source} -> ${t.target} on ${t.event}`)
      .sort();
    expect(drawn).toEqual(expected);

    const label = (source: string, event: string) =>
      layout.edges.filter((e) => e.source === source && e.event === event).map((e) => [e.label, e.target, e.guard]);
    expect(label('connecting', 'xstate.after.MODEL_CONNECT_TIMEOUT.call.connecting')).toEqual([
      ['after MODEL_CONNECT_TIMEOUT', 'awaiting-transcript', 'modelNotReady'],
    ]);
    expect(label('connecting', 'xstate.done.actor.connectModel')).toEqual([
      ['done: connectModel', 'streaming', 'streamStarted'],
    ]);
    expect(label('connecting', 'xstate.error.actor.connectModel')).toEqual([
      ['error: connectModel', 'awaiting-transcript', null],
    ]);
    expect(label('streaming.conversing', 'GOODBYE')).toEqual([['GOODBYE', 'streaming.closing', null]]);
    expect(label('submitting.accepting', 'xstate.done.actor.acceptLead').map(([, target]) => target).sort()).toEqual(
      ['saved-failure', 'saved-review', 'saved-success', 'submitting.delivering'],
    );
    // Targetless transitions (context updates) and the root's own are not edges.
    expect(layout.edges.some((e) => e.event === 'TRANSCRIPT_UPDATED')).toBe(false);
    expect(layout.edges.every((e) => e.source !== e.target)).toBe(true);
  });

  it('is plain JSON, computed once', async () => {
    const layout = await callMachineLayout();
    expect(JSON.parse(JSON.stringify(layout))).toEqual(layout);
    expect(await callMachineLayout()).toBe(layout);
  });
});

describe('machineLayout', () => {
  // Three levels deep, a numeric delay, an edge out of the innermost state to the top level and one into a
  // nested state from outside: offsets must add up through every container.
  const nested = createMachine({
    id: 'nested',
    initial: 'idle',
    on: { RESET: '.idle' },
    states: {
      idle: { on: { GO: 'outer', NOOP: {} } },
      outer: {
        initial: 'middle',
        states: {
          middle: {
            initial: 'deep',
            states: {
              deep: { on: { NEXT: 'deeper', LEAVE: '#nested.finished' } },
              deeper: { after: { 1500: 'deep' } },
            },
          },
          side: { type: 'final' },
        },
        onDone: 'finished',
      },
      finished: { type: 'final', on: { BACK: 'outer.middle.deeper' } },
    },
  });

  it('lays out nested states inside their parents, with absolute coordinates', async () => {
    const layout = await machineLayout(nested);
    expectWellFormed(layout);
    expect(layout.nodes.map((n) => [n.id, n.parent, n.compound])).toEqual([
      ['idle', null, false],
      ['outer', null, true],
      ['outer.middle', 'outer', true],
      ['outer.middle.deep', 'outer.middle', false],
      ['outer.middle.deeper', 'outer.middle', false],
      ['outer.side', 'outer', false],
      ['finished', null, false],
    ]);
  });

  it('labels delays, done events and ordinary events readably; skips targetless and root transitions', async () => {
    const layout = await machineLayout(nested);
    const labels = layout.edges.map((e) => `${e.source} -> ${e.target}: ${e.label}`).sort();
    expect(labels).toEqual([
      'finished -> outer.middle.deeper: BACK',
      'idle -> outer: GO',
      'outer -> finished: done: outer',
      'outer.middle.deep -> finished: LEAVE',
      'outer.middle.deep -> outer.middle.deeper: NEXT',
      'outer.middle.deeper -> outer.middle.deep: after 1500 ms',
    ]);
  });
});

describe('layout time', () => {
  it('is measured, not asserted (the server computes it once per process)', async ({ annotate }) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await machineLayout(callMachine);
      times.push(performance.now() - started);
    }
    await annotate(`call machine layout: ${times.map((t) => t.toFixed(0)).join(', ')} ms, five runs in a row`);
    expect(times).toHaveLength(5);
  });
});

describe('textWidth', () => {
  it('gives capitals more room than lower case, and grows with the text', () => {
    expect(textWidth('ABCDEF', 12)).toBeGreaterThan(textWidth('abcdef', 12));
    expect(textWidth('abcdefgh', 12)).toBeGreaterThan(textWidth('abcd', 12));
    expect(textWidth('abcd', 24)).toBeGreaterThan(textWidth('abcd', 12));
    expect(textWidth('', 12)).toBe(0);
  });
});
