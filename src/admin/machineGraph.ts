/**
 * A machine's statechart laid out for drawing: @xstate/graph's directed graph of the machine, placed by ELK's
 * layered algorithm with nested states inside their parents, returned as plain JSON in absolute coordinates. The
 * console draws it (src/admin/public/statechart.js) and highlights a call's state by its dotted name.
 */
import { toDirectedGraph, type DirectedGraphEdge, type DirectedGraphNode } from '@xstate/graph';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
// The bundled build runs ELK in-process (a fake worker): no Worker, no extra file to serve. It is CommonJS typed
// as `export default`, so the import is its module object; `.default` is the constructor both to tsc and at run time.
import elkBundled from 'elkjs/lib/elk.bundled.js';
import type { AnyStateMachine } from 'xstate';
import { callMachine } from '../../machines/callMachine.js';

export interface LayoutPoint {
  readonly x: number;
  readonly y: number;
}

export interface LayoutNode {
  /** The dotted state path without the machine id (`submitting.accepting`), as `stateName(snapshot.value)`. */
  readonly id: string;
  /** The state's own key. */
  readonly label: string;
  /** The enclosing state's id; null for a top-level state (the machine's root is not a node). */
  readonly parent: string | null;
  /** Top-left corner, absolute. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly final: boolean;
  /** The state its parent enters first. */
  readonly initial: boolean;
  /** Has child states (drawn as a container holding them). */
  readonly compound: boolean;
}

export interface LayoutEdge {
  readonly id: string;
  /** Node id of the state that defines the transition (may be an ancestor of the state the call is in). */
  readonly source: string;
  readonly target: string;
  /** The event, readable: `STREAM_STARTED`, `after MAX_CALL`, `done: connectModel`, `error: connectModel`. */
  readonly label: string;
  /** The raw event type (`xstate.done.actor.connectModel`), to match a recorded event. */
  readonly event: string;
  /** The guard's name, or null: kept out of the label, which sets how far apart ELK puts the layers. */
  readonly guard: string | null;
  /** The polyline from the source's border to the target's border, absolute. */
  readonly points: readonly LayoutPoint[];
  /** The centre of the label. */
  readonly labelPos?: LayoutPoint;
}

export interface MachineLayout {
  readonly width: number;
  readonly height: number;
  /** Parents before their children, so drawing in order puts containers behind what they hold. */
  readonly nodes: readonly LayoutNode[];
  readonly edges: readonly LayoutEdge[];
}

/** The font sizes the sizes below assume; statechart.js draws with the same. */
export const NODE_FONT_PX = 14;
export const EDGE_FONT_PX = 12;
const LEAF_HEIGHT = 36;
/** A leaf grows taller past this many edges on one side, so their arrowheads do not pile up on one spot. */
const EDGE_SLOT_PX = 6;
const LEAF_PADDING_X = 14;
const MIN_LEAF_WIDTH = 72;
/** Room for the initial-state dot drawn before the label. */
const INITIAL_MARK_PX = 14;
const COMPOUND_PADDING = { top: 34, side: 16, bottom: 16 } as const;
const EDGE_LABEL_HEIGHT = 16;
const ROOT_ID = '#root';

type StateNode = DirectedGraphNode['stateNode'];

/** Lays out `machine`'s states and transitions. Targetless transitions (actions only, no state change) are left out. */
export async function machineLayout(machine: AnyStateMachine): Promise<MachineLayout> {
  const graph = toDirectedGraph(machine);
  const states = graph.children.flatMap(function all(n: DirectedGraphNode): DirectedGraphNode[] {
    return [n, ...n.children.flatMap(all)];
  });
  const info = new Map(states.map((n) => [nodeId(n.stateNode), n.stateNode]));
  const edges = states.flatMap((n) => n.edges.filter((e) => drawn(e, info)));
  const laidOut = await elk().layout(elkGraph(graph.children, edges));
  // ELK places children relative to their parent and each edge relative to its `container` node.
  const offsets = new Map<string, LayoutPoint>([[ROOT_ID, { x: 0, y: 0 }]]);
  const nodes = placeNodes(laidOut.children ?? [], info, offsets);
  return {
    width: laidOut.width ?? 0,
    height: laidOut.height ?? 0,
    nodes,
    edges: placeEdges(laidOut.edges ?? [], edges, offsets),
  };
}

function elkGraph(states: readonly DirectedGraphNode[], edges: readonly DirectedGraphEdge[]): ElkNode {
  const degree = degreeOf(edges);
  return {
    id: ROOT_ID,
    layoutOptions: {
      'elk.algorithm': 'layered',
      // One layout across nesting levels, so transitions can leave and enter compound states.
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      // RIGHT, not DOWN: with INCLUDE_CHILDREN and a vertical direction ELK 0.12 swaps a compound node's
      // nodeSize.minimum (width and height), so a container could come out narrower than its label.
      'elk.direction': 'RIGHT',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeEdge': '10',
      'elk.spacing.edgeLabel': '3',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
    },
    children: states.map((n) => elkNode(n, degree)),
    edges: edges.map((e) => {
      const label = transitionLabel(e);
      return {
        id: edgeId(e),
        sources: [nodeId(e.source)],
        targets: [nodeId(e.target)],
        labels: [{ text: label, width: textWidth(label, EDGE_FONT_PX) + 6, height: EDGE_LABEL_HEIGHT }],
      };
    }),
  };
}

/** The laid-out states, parents first, in absolute coordinates; records each one's offset in `offsets`. */
function placeNodes(
  laid: readonly ElkNode[],
  info: ReadonlyMap<string, StateNode>,
  offsets: Map<string, LayoutPoint>,
): LayoutNode[] {
  const nodes: LayoutNode[] = [];
  const place = (node: ElkNode, parent: string | null, origin: LayoutPoint): void => {
    const stateNode = info.get(node.id);
    if (stateNode === undefined) return;
    const at = { x: origin.x + (node.x ?? 0), y: origin.y + (node.y ?? 0) };
    offsets.set(node.id, at);
    nodes.push({
      id: node.id,
      label: stateNode.key,
      parent,
      ...at,
      width: node.width ?? 0,
      height: node.height ?? 0,
      final: stateNode.type === 'final',
      initial: isInitial(stateNode),
      compound: isCompound(stateNode),
    });
    for (const child of node.children ?? []) place(child, node.id, at);
  };
  for (const node of laid) place(node, null, { x: 0, y: 0 });
  return nodes;
}

/** The laid-out transitions in absolute coordinates: each shifted by the offset of the node ELK put it in. */
function placeEdges(
  laid: readonly ElkExtendedEdge[],
  edges: readonly DirectedGraphEdge[],
  offsets: ReadonlyMap<string, LayoutPoint>,
): LayoutEdge[] {
  const byId = new Map(edges.map((e) => [edgeId(e), e]));
  return laid.flatMap((l): LayoutEdge[] => {
    const e = byId.get(l.id);
    if (e === undefined) return [];
    const o = offsets.get(l.container ?? ROOT_ID) ?? { x: 0, y: 0 };
    const shift = (p: { x: number; y: number }): LayoutPoint => ({ x: o.x + p.x, y: o.y + p.y });
    const points = (l.sections ?? []).flatMap((section, i) => [
      ...(i === 0 ? [shift(section.startPoint)] : []),
      ...(section.bendPoints ?? []).map(shift),
      shift(section.endPoint),
    ]);
    const label = l.labels?.[0];
    const labelPos =
      label?.x === undefined || label.y === undefined
        ? undefined
        : shift({ x: label.x + (label.width ?? 0) / 2, y: label.y + (label.height ?? 0) / 2 });
    return [
      {
        id: l.id,
        source: nodeId(e.source),
        target: nodeId(e.target),
        label: label?.text ?? transitionLabel(e),
        event: e.transition.eventType,
        guard: guardName(e.transition.guard),
        points,
        ...(labelPos === undefined ? {} : { labelPos }),
      },
    ];
  });
}

let callLayout: Promise<MachineLayout> | undefined;

/** The call machine's layout, computed once per process (the machine does not change while it runs). */
export function callMachineLayout(): Promise<MachineLayout> {
  if (callLayout === undefined) {
    const pending = machineLayout(callMachine);
    callLayout = pending;
    // A failed layout is not kept: the next caller tries again.
    pending.catch(() => {
      if (callLayout === pending) callLayout = undefined;
    });
  }
  return callLayout;
}

/** An edge's label: its event type made readable (`after MAX_CALL`, `done: connectModel`). */
export function transitionLabel(edge: Pick<DirectedGraphEdge, 'transition'>): string {
  const t = edge.transition;
  const delay: unknown = (t as { delay?: unknown }).delay;
  if (delay === undefined) return readableEvent(t.eventType, `${t.source.machine.id}.`);
  return `after ${typeof delay === 'number' ? `${delay} ms` : String(delay)}`;
}

/**
 * About how wide `text` draws in a system sans-serif at `fontPx`, on the generous side: the server cannot measure
 * text, and a box a little wide reads better than a label that spills. Capitals (event names) are the widest.
 */
export function textWidth(text: string, fontPx: number): number {
  let em = 0;
  for (const ch of text) {
    if (/[A-Z0-9_mwMW@]/.test(ch)) em += 0.7;
    else if (/[ijlft.,:;'|!\[\] ()-]/.test(ch)) em += 0.34;
    else em += 0.57;
  }
  return Math.ceil(em * fontPx);
}

function readableEvent(type: string, machinePrefix: string): string {
  const prefixes: ReadonlyArray<readonly [string, string]> = [
    ['xstate.done.actor.', 'done: '],
    ['xstate.error.actor.', 'error: '],
    // A compound state's onDone: `xstate.done.state.call.submitting` reads `done: submitting`.
    ['xstate.done.state.' + machinePrefix, 'done: '],
    ['xstate.done.state.', 'done: '],
  ];
  for (const [prefix, shown] of prefixes) if (type.startsWith(prefix)) return shown + type.slice(prefix.length);
  // An `after` transition always carries its delay; this is only for a hand-written after event.
  if (type.startsWith('xstate.after.')) return `after ${type.slice('xstate.after.'.length).split('.')[0] ?? ''}`;
  return type;
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  if (typeof guard === 'function') return guard.name || 'guard';
  return 'guard';
}

const ELK = elkBundled.default;
let instance: InstanceType<typeof ELK> | undefined;
function elk(): InstanceType<typeof ELK> {
  instance ??= new ELK();
  return instance;
}

/** The most edges that meet a state from one direction (in or out). */
function degreeOf(edges: readonly DirectedGraphEdge[]): (id: string) => number {
  const into = new Map<string, number>();
  const out = new Map<string, number>();
  for (const e of edges) {
    into.set(nodeId(e.target), (into.get(nodeId(e.target)) ?? 0) + 1);
    out.set(nodeId(e.source), (out.get(nodeId(e.source)) ?? 0) + 1);
  }
  return (id) => Math.max(into.get(id) ?? 0, out.get(id) ?? 0);
}

function elkNode(n: DirectedGraphNode, degree: (id: string) => number): ElkNode {
  const s = n.stateNode;
  const id = nodeId(s);
  const labelWidth = textWidth(s.key, NODE_FONT_PX) + (isInitial(s) ? INITIAL_MARK_PX : 0);
  if (n.children.length === 0) {
    return {
      id,
      width: Math.max(MIN_LEAF_WIDTH, labelWidth + 2 * LEAF_PADDING_X),
      height: Math.max(LEAF_HEIGHT, degree(id) * EDGE_SLOT_PX + 12),
    };
  }
  const { top, side, bottom } = COMPOUND_PADDING;
  return {
    id,
    layoutOptions: {
      'elk.padding': `[top=${top},left=${side},bottom=${bottom},right=${side}]`,
      'elk.nodeSize.constraints': 'MINIMUM_SIZE',
      'elk.nodeSize.minimum': `(${labelWidth + 2 * side}, ${top + bottom})`,
    },
    children: n.children.map((c) => elkNode(c, degree)),
  };
}

/** The dotted path under the machine, the same as `stateName(snapshot.value)` gives for a leaf. */
function nodeId(s: StateNode): string {
  return s.path.join('.');
}

/** `call.connecting:3:0` (toDirectedGraph's id, machine id first) as `connecting:3:0`. */
function edgeId(e: DirectedGraphEdge): string {
  return nodeId(e.source) + e.id.slice(e.source.id.length);
}

/** A transition that changes state between two drawn states: not targetless, not to or from the root. */
function drawn(e: DirectedGraphEdge, states: ReadonlyMap<string, StateNode>): boolean {
  const targets = e.transition.target;
  if (targets === undefined || targets.length === 0) return false;
  return states.has(nodeId(e.source)) && states.has(nodeId(e.target));
}

function isCompound(s: StateNode): boolean {
  return s.type === 'compound' || s.type === 'parallel';
}

function isInitial(s: StateNode): boolean {
  const parent = s.parent;
  return parent?.type === 'compound' && parent.initial.target.includes(s);
}
