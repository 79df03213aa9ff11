// The call machine drawn as SVG from its layout (GET of src/admin/machineGraph.ts's MachineLayout), with a call's
// current state and its path so far. A browser module with no build step: Preact + htm from the vendored bundle.
import { html } from './vendor/preact-htm.js';
import {
  edgeDescription,
  highlightedIds,
  nodeDescription,
  polylineData,
  tracedEdges,
  visitedIds,
} from './statechartGeometry.js';

export { highlightedIds, tracedEdges, visitedIds } from './statechartGeometry.js';

/** @typedef {import('./statechartGeometry.js').MachineLayout} MachineLayout */
/** @typedef {import('./statechartGeometry.js').LayoutNode} LayoutNode */
/** @typedef {import('./statechartGeometry.js').LayoutEdge} LayoutEdge */

// Sizes as machineGraph.ts assumed them when it sized the boxes.
const NODE_FONT_PX = 14;
const EDGE_FONT_PX = 12;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

// Contrast against white and the tints (WCAG AA for text): slate-900 text, slate-500 lines, blue-700 for the current
// state and the path. The current state is also bold with a thicker border, so colour is never the only sign.
const COLOURS = {
  text: '#0f172a',
  edgeText: '#334155',
  line: '#64748b',
  box: '#ffffff',
  container: '#f8fafc',
  visited: '#e0e7ff',
  visitedContainer: '#eef2ff',
  current: '#1d4ed8',
  currentFill: '#bfdbfe',
  traced: '#1d4ed8',
};

/**
 * The statechart.
 * @param {{ layout: MachineLayout, current?: string | null, path?: readonly string[] | null,
 *   label?: string }} props
 *   `current`: the call's dotted state name (it and its ancestors are highlighted); `path`: the states visited, in
 *   order (tinted, and the edges between them traced); `label`: what the machine is, for the accessible name.
 */
export function Statechart({ layout, current = null, path = null, label = 'Call statechart' }) {
  const active = new Set(highlightedIds(current));
  const visited = visitedIds(path);
  const traced = new Set(tracedEdges(layout, path));
  const name = current ? `${label}, current state: ${current}` : `${label}, no current state`;
  // Traced edges last, so they are drawn over the others.
  const edges = [...layout.edges].sort((a, b) => Number(traced.has(a.id)) - Number(traced.has(b.id)));

  return html`
    <svg
      class="statechart"
      role="img"
      aria-label=${name}
      xmlns="http://www.w3.org/2000/svg"
      width=${Math.ceil(layout.width)}
      height=${Math.ceil(layout.height)}
      viewBox=${`0 0 ${Math.ceil(layout.width)} ${Math.ceil(layout.height)}`}
      font-family=${FONT}
    >
      <title>${name}</title>
      <defs>
        ${arrowMarker('statechart-arrow', COLOURS.line)} ${arrowMarker('statechart-arrow-traced', COLOURS.traced)}
      </defs>
      <g class="statechart-nodes">
        ${layout.nodes.map((node) =>
          stateNode(node, { current: active.has(node.id), leaf: current === node.id, visited: visited.has(node.id) }),
        )}
      </g>
      <g class="statechart-edges">${edges.map((edge) => transition(edge, traced.has(edge.id)))}</g>
    </svg>
  `;
}

/**
 * @param {LayoutNode} node
 * @param {{ current: boolean, leaf: boolean, visited: boolean }} marks `current`: the state or an ancestor of it
 */
function stateNode(node, marks) {
  const fill = marks.current
    ? node.compound
      ? COLOURS.visitedContainer
      : COLOURS.currentFill
    : marks.visited
      ? node.compound
        ? COLOURS.visitedContainer
        : COLOURS.visited
      : node.compound
        ? COLOURS.container
        : COLOURS.box;
  const stroke = marks.current ? COLOURS.current : COLOURS.line;
  const strokeWidth = marks.current ? (marks.leaf ? 3.5 : 2.5) : 1.25;
  const weight = marks.current ? 700 : node.compound ? 600 : 400;
  const description = nodeDescription(node, { current: marks.current, visited: marks.visited });
  const classes = ['statechart-node', node.compound ? 'compound' : 'leaf'];
  if (node.final) classes.push('final');
  if (marks.current) classes.push('current');
  if (marks.visited) classes.push('visited');
  // Labels: a container's at its top left (the children fill the rest), a leaf's in its middle; an initial
  // state's label follows the dot that marks it.
  const mark = node.initial ? 14 : 0;
  const labelX = node.compound ? node.x + 12 + mark : node.x + mark + (node.width - mark) / 2;
  const labelY = node.compound ? node.y + 21 : node.y + node.height / 2;
  const dotX = node.compound ? node.x + 13 : node.x + 12;
  return html`
    <g
      class=${classes.join(' ')}
      data-state=${node.id}
      data-current=${marks.leaf ? 'true' : marks.current ? 'ancestor' : undefined}
      data-visited=${marks.visited ? 'true' : undefined}
      aria-label=${description}
    >
      <title>${description}</title>
      <rect
        x=${node.x}
        y=${node.y}
        width=${node.width}
        height=${node.height}
        rx=${node.compound ? 10 : 8}
        fill=${fill}
        stroke=${stroke}
        stroke-width=${strokeWidth}
      />
      ${node.final &&
      html`<rect
        x=${node.x + 4}
        y=${node.y + 4}
        width=${node.width - 8}
        height=${node.height - 8}
        rx="5"
        fill="none"
        stroke=${stroke}
        stroke-width=${marks.current ? 2 : 1}
      />`}
      ${node.initial && html`<circle cx=${dotX} cy=${labelY - (node.compound ? 4 : 0)} r="4" fill=${stroke} />`}
      <text
        x=${labelX}
        y=${labelY}
        font-size=${NODE_FONT_PX}
        font-weight=${weight}
        fill=${COLOURS.text}
        text-anchor=${node.compound ? 'start' : 'middle'}
        dominant-baseline=${node.compound ? 'auto' : 'central'}
      >
        ${node.label}
      </text>
    </g>
  `;
}

/**
 * @param {LayoutEdge} edge
 * @param {boolean} traced
 */
function transition(edge, traced) {
  const colour = traced ? COLOURS.traced : COLOURS.line;
  const description = edgeDescription(edge);
  return html`
    <g class=${traced ? 'statechart-edge traced' : 'statechart-edge'} data-edge=${edge.id}>
      <title>${description}</title>
      <path
        d=${polylineData(edge.points)}
        fill="none"
        stroke=${colour}
        stroke-width=${traced ? 2.75 : 1.25}
        marker-end=${traced ? 'url(#statechart-arrow-traced)' : 'url(#statechart-arrow)'}
      />
      ${edge.labelPos &&
      html`<text
        x=${edge.labelPos.x}
        y=${edge.labelPos.y}
        font-size=${EDGE_FONT_PX}
        font-weight=${traced ? 700 : 400}
        fill=${traced ? COLOURS.traced : COLOURS.edgeText}
        text-anchor="middle"
        dominant-baseline="central"
        paint-order="stroke"
        stroke="#ffffff"
        stroke-width="3"
        stroke-linejoin="round"
      >
        ${edge.label}
      </text>`}
    </g>
  `;
}

/**
 * An arrowhead that sits with its tip on the path's end (the target's border).
 * @param {string} id
 * @param {string} colour
 */
function arrowMarker(id, colour) {
  return html`
    <marker
      id=${id}
      viewBox="0 0 10 10"
      refX="10"
      refY="5"
      markerWidth="8"
      markerHeight="8"
      markerUnits="userSpaceOnUse"
      orient="auto-start-reverse"
    >
      <path d="M0 0 L10 5 L0 10 z" fill=${colour} />
    </marker>
  `;
}
