import { describe, expect, it } from 'vitest';
import { callMachineLayout, type MachineLayout } from '../../src/admin/machineGraph.js';
import {
  edgeDescription,
  highlightedIds,
  nodeDescription,
  polylineData,
  tracedEdges,
  visitedIds,
} from '../../src/admin/public/statechartGeometry.js';

/** A call that went all the way, as the session records its leaf states. */
const SUCCESSFUL_CALL = [
  'connecting',
  'streaming.conversing',
  'streaming.closing',
  'awaiting-transcript',
  'extracting',
  'submitting.accepting',
  'submitting.delivering',
  'saved-success',
];

const edge = (id: string, source: string, target: string) => ({
  id,
  source,
  target,
  label: id,
  points: [
    { x: 0, y: 0 },
    { x: 10, y: 0 },
  ],
});

describe('highlightedIds', () => {
  it('is the state and its ancestors, outermost first', () => {
    expect(highlightedIds('submitting.delivering')).toEqual(['submitting', 'submitting.delivering']);
    expect(highlightedIds('a.b.c')).toEqual(['a', 'a.b', 'a.b.c']);
    expect(highlightedIds('connecting')).toEqual(['connecting']);
  });

  it('is empty without a state', () => {
    expect(highlightedIds('')).toEqual([]);
    expect(highlightedIds(null)).toEqual([]);
    expect(highlightedIds(undefined)).toEqual([]);
  });

  it('names nodes of the call machine layout', async () => {
    const layout = await callMachineLayout();
    const ids = new Set(layout.nodes.map((n) => n.id));
    for (const state of SUCCESSFUL_CALL) for (const id of highlightedIds(state)) expect(ids.has(id), id).toBe(true);
  });
});

describe('visitedIds', () => {
  it('holds every state of the path and the states containing them', () => {
    expect([...visitedIds(['connecting', 'streaming.closing'])].sort()).toEqual([
      'connecting',
      'streaming',
      'streaming.closing',
    ]);
    expect(visitedIds(null).size).toBe(0);
  });
});

describe('tracedEdges', () => {
  it('follows a successful call through the call machine, one step after another', async () => {
    const layout = await callMachineLayout();
    const traced = tracedEdges(layout, SUCCESSFUL_CALL);
    const byId = new Map(layout.edges.map((e) => [e.id, e]));
    const steps = traced.map((id) => byId.get(id)).map((e) => `${e?.source} -> ${e?.target}`);
    // Each step is drawn by the innermost transitions joining it; a path has no events, so when a timeout, a
    // failure and a success all lead on, all of them are traced.
    expect([...new Set(steps)]).toEqual([
      'connecting -> streaming',
      'streaming.conversing -> streaming.closing',
      'streaming.closing -> awaiting-transcript',
      'awaiting-transcript -> extracting',
      'extracting -> submitting',
      'submitting.accepting -> submitting.delivering',
      'submitting.delivering -> saved-success',
    ]);
    expect(traced.map((id) => byId.get(id)?.label)).toContain('GOODBYE');
    expect(traced.map((id) => byId.get(id)?.label)).toContain('done: deliverLead');
  });

  it('prefers the innermost source, then the innermost target', () => {
    const layout = {
      edges: [
        edge('outer-out', 'outer', 'done'),
        edge('inner-out', 'outer.inner', 'done'),
        edge('into-outer', 'start', 'outer'),
        edge('into-inner', 'start', 'outer.inner'),
      ],
    };
    expect(tracedEdges(layout, ['outer.inner', 'done'])).toEqual(['inner-out']);
    expect(tracedEdges(layout, ['outer.other', 'done'])).toEqual(['outer-out']);
    expect(tracedEdges(layout, ['start', 'outer.inner'])).toEqual(['into-inner']);
    expect(tracedEdges(layout, ['start', 'outer.other'])).toEqual(['into-outer']);
  });

  it('skips repeats and steps no transition explains, and lists each edge once', () => {
    const layout = { edges: [edge('ab', 'a', 'b'), edge('ba', 'b', 'a')] };
    expect(tracedEdges(layout, ['a', 'a', 'b', 'c', 'b', 'a', 'b'])).toEqual(['ab', 'ba']);
    expect(tracedEdges(layout, [])).toEqual([]);
    expect(tracedEdges(layout, null)).toEqual([]);
    expect(tracedEdges(layout, ['a'])).toEqual([]);
  });

  it('returns only ids of the layout', async () => {
    const layout: MachineLayout = await callMachineLayout();
    const ids = new Set(layout.edges.map((e) => e.id));
    for (const id of tracedEdges(layout, SUCCESSFUL_CALL)) expect(ids.has(id)).toBe(true);
  });
});

describe('drawing helpers', () => {
  it('makes an SVG path from a polyline', () => {
    expect(
      polylineData([
        { x: 1, y: 2 },
        { x: 3.333, y: 4 },
        { x: 5, y: 6.06 },
      ]),
    ).toBe('M1 2 L3.3 4 L5 6.1');
  });

  it('describes states and edges for screen readers and tooltips', async () => {
    const layout = await callMachineLayout();
    const node = (id: string) => layout.nodes.find((n) => n.id === id);
    const connecting = node('connecting');
    const submitting = node('submitting');
    const saved = node('saved-success');
    if (connecting === undefined || submitting === undefined || saved === undefined) throw new Error('missing');
    expect(nodeDescription(connecting, { current: true, visited: true })).toBe('connecting, initial state, current');
    expect(nodeDescription(submitting, { current: false, visited: true })).toBe(
      'submitting, compound state, visited',
    );
    expect(nodeDescription(saved, { current: false, visited: false })).toBe('saved-success, final state');
    const guarded = layout.edges.find((e) => e.source === 'connecting' && e.event === 'STREAM_STARTED');
    expect(guarded && edgeDescription(guarded)).toBe('connecting to streaming on STREAM_STARTED if modelReady');
  });
});
