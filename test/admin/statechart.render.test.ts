import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callMachineLayout, type MachineLayout } from '../../src/admin/machineGraph.js';
import { tracedEdges } from '../../src/admin/public/statechartGeometry.js';

/** A Preact vnode, as far as these tests read it. */
interface VNode {
  type: unknown;
  props: Record<string, unknown> & { children?: unknown };
}

type StatechartProps = { layout: MachineLayout; current?: string | null; path?: readonly string[] | null };
let Statechart: (props: StatechartProps) => VNode;
let dir: string;

// statechart.js imports './vendor/preact-htm.js', a route of the server, not a file: lay the folder out as the
// server serves it (the public files, and htm's Preact bundle as vendor/preact-htm.js) and import it from there.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'admin-assets-'));
  cpSync('src/admin/public', dir, { recursive: true });
  mkdirSync(join(dir, 'vendor'), { recursive: true });
  copyFileSync('node_modules/htm/preact/standalone.module.js', join(dir, 'vendor', 'preact-htm.js'));
  ({ Statechart } = (await import(join(dir, 'statechart.js'))) as { Statechart: typeof Statechart });
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function isVNode(value: unknown): value is VNode {
  return typeof value === 'object' && value !== null && 'type' in value && 'props' in value;
}

function childrenOf(node: VNode): VNode[] {
  return [node.props.children].flat(Infinity).filter(isVNode);
}

function all(node: VNode, match: (n: VNode) => boolean): VNode[] {
  return [...(match(node) ? [node] : []), ...childrenOf(node).flatMap((c) => all(c, match))];
}

function textOf(node: VNode): string {
  return [node.props.children]
    .flat(Infinity)
    .map((c) => (isVNode(c) ? textOf(c) : typeof c === 'string' || typeof c === 'number' ? String(c) : ''))
    .join('')
    .trim();
}

const classes = (n: VNode): string[] => String(n.props.class ?? '').split(' ');
const states = (root: VNode) => all(root, (n) => n.type === 'g' && n.props['data-state'] !== undefined);
const edges = (root: VNode) => all(root, (n) => n.type === 'g' && n.props['data-edge'] !== undefined);

const PATH = ['connecting', 'streaming.conversing', 'streaming.closing'];

describe('Statechart', () => {
  it('is one image named after the current state', async () => {
    const svg = Statechart({ layout: await callMachineLayout(), current: 'streaming.closing', path: PATH });
    expect(svg.type).toBe('svg');
    expect(svg.props.role).toBe('img');
    expect(svg.props['aria-label']).toBe('Call statechart, current state: streaming.closing');
    const title = childrenOf(svg)[0];
    expect(title?.type).toBe('title');
    expect(title && textOf(title)).toBe('Call statechart, current state: streaming.closing');
  });

  it('draws every state, with its name, a tooltip and an accessible label', async () => {
    const layout = await callMachineLayout();
    const svg = Statechart({ layout, current: null, path: [] });
    expect(svg.props['aria-label']).toBe('Call statechart, no current state');
    const drawn = states(svg);
    expect(drawn.map((g) => g.props['data-state'])).toEqual(layout.nodes.map((n) => n.id));
    for (const g of drawn) {
      const node = layout.nodes.find((n) => n.id === g.props['data-state']);
      expect(g.props['aria-label']).toMatch(new RegExp(`^${node?.id}, `));
      expect(childrenOf(g)[0]?.type).toBe('title');
      const text = all(g, (n) => n.type === 'text')[0];
      expect(text && textOf(text)).toBe(node?.label);
      // A final state is double-bordered: two rectangles.
      expect(all(g, (n) => n.type === 'rect')).toHaveLength(node?.final ? 2 : 1);
    }
  });

  it('highlights the current state and its ancestors, not by colour alone', async () => {
    const svg = Statechart({ layout: await callMachineLayout(), current: 'streaming.closing', path: PATH });
    const current = states(svg).filter((g) => classes(g).includes('current'));
    expect(current.map((g) => g.props['data-state'])).toEqual(['streaming', 'streaming.closing']);
    const weight = (id: string) =>
      all(states(svg).find((g) => g.props['data-state'] === id) as VNode, (n) => n.type === 'text')[0]?.props[
        'font-weight'
      ];
    const border = (id: string) =>
      all(states(svg).find((g) => g.props['data-state'] === id) as VNode, (n) => n.type === 'rect')[0]?.props[
        'stroke-width'
      ];
    expect(weight('streaming.closing')).toBe(700);
    expect(weight('streaming')).toBe(700);
    expect(weight('extracting')).toBe(400);
    expect(Number(border('streaming.closing'))).toBeGreaterThan(Number(border('extracting')));
    const closing = states(svg).find((g) => g.props['data-state'] === 'streaming.closing');
    expect(closing?.props['aria-label']).toBe('streaming.closing, state, current');
  });

  it('tints the visited states and traces the edges between them', async () => {
    const layout = await callMachineLayout();
    const svg = Statechart({ layout, current: 'streaming.closing', path: PATH });
    const visited = states(svg).filter((g) => classes(g).includes('visited'));
    expect(visited.map((g) => g.props['data-state']).sort()).toEqual([
      'connecting',
      'streaming',
      'streaming.closing',
      'streaming.conversing',
    ]);
    const drawnEdges = edges(svg);
    expect(drawnEdges).toHaveLength(layout.edges.length);
    const traced = drawnEdges.filter((g) => classes(g).includes('traced')).map((g) => g.props['data-edge']);
    expect(traced.sort()).toEqual(tracedEdges(layout, PATH).sort());
    expect(traced.length).toBeGreaterThan(0);
    for (const g of drawnEdges) {
      const line = all(g, (n) => n.type === 'path')[0];
      expect(line?.props['marker-end']).toBe(
        classes(g).includes('traced') ? 'url(#statechart-arrow-traced)' : 'url(#statechart-arrow)',
      );
      expect(childrenOf(g)[0]?.type).toBe('title');
    }
    // Traced edges are drawn last, over the others.
    const order = drawnEdges.map((g) => classes(g).includes('traced'));
    expect(order.indexOf(true)).toBe(order.length - traced.length);
  });
});
