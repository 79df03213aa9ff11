// @ts-check
// (Type-checked by `npm run lint` through the directive above; statechart.js is not: its vendor import exists only
// as a route of the server.)
// The statechart's pure helpers: which nodes to highlight and which edges a call's path took. No DOM and no
// imports, so Node (vitest) can load this file as it is, and the browser loads the same file.

/**
 * @typedef {{ x: number, y: number }} Point
 * @typedef {{ id: string, label: string, parent: string | null, x: number, y: number, width: number,
 *   height: number, final: boolean, initial: boolean, compound: boolean }} LayoutNode
 * @typedef {{ id: string, source: string, target: string, label: string, event?: string,
 *   guard?: string | null, points: readonly Point[], labelPos?: Point }} LayoutEdge
 * @typedef {{ width: number, height: number, nodes: readonly LayoutNode[], edges: readonly LayoutEdge[] }} MachineLayout
 *   The JSON of src/admin/machineGraph.ts (absolute coordinates; node ids are dotted state names).
 */

/**
 * A dotted state name and its ancestors, outermost first: `submitting.delivering` ->
 * `['submitting', 'submitting.delivering']`. Empty for an empty or missing name.
 * @param {string | null | undefined} current
 * @returns {string[]}
 */
export function highlightedIds(current) {
  if (typeof current !== 'string' || current === '') return [];
  const parts = current.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/**
 * Every state a path went through, with the states that contain them.
 * @param {readonly string[] | null | undefined} path dotted state names in the order visited
 * @returns {Set<string>}
 */
export function visitedIds(path) {
  const ids = new Set();
  for (const name of path ?? []) for (const id of highlightedIds(name)) ids.add(id);
  return ids;
}

/**
 * The edges between consecutive states of `path`, in order. A step from `a` to `b` is drawn by the edges whose
 * source is `a` or a state containing it and whose target is `b` or a state containing it (a transition defined on
 * `streaming` leaves `streaming.closing`; one into `submitting` enters `submitting.accepting`), the innermost such
 * pair winning. A path records states, not events, so when several transitions join that pair (a timeout and an
 * error both lead on) all of them are returned. Repeated states are skipped; a step no edge explains adds nothing.
 * @param {Pick<MachineLayout, 'edges'>} layout
 * @param {readonly string[] | null | undefined} path
 * @returns {string[]} edge ids, without repeats
 */
export function tracedEdges(layout, path) {
  /** @type {string[]} */
  const traced = [];
  const seen = new Set();
  const steps = path ?? [];
  for (let i = 1; i < steps.length; i++) {
    const from = steps[i - 1];
    const to = steps[i];
    if (from === undefined || to === undefined || from === to) continue;
    const sources = highlightedIds(from);
    const targets = highlightedIds(to);
    let best = -1;
    /** @type {string[]} */
    let chosen = [];
    for (const edge of layout.edges) {
      const s = sources.indexOf(edge.source);
      const t = targets.indexOf(edge.target);
      if (s < 0 || t < 0) continue;
      // Innermost source first, then innermost target (depths are indexes into the ancestor lists).
      const score = s * 1000 + t;
      if (score > best) {
        best = score;
        chosen = [edge.id];
      } else if (score === best) {
        chosen.push(edge.id);
      }
    }
    for (const id of chosen) {
      if (!seen.has(id)) {
        seen.add(id);
        traced.push(id);
      }
    }
  }
  return traced;
}

/**
 * An SVG path's `d` for a polyline.
 * @param {readonly Point[]} points
 * @returns {string}
 */
export function polylineData(points) {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)} ${round(p.y)}`).join(' ');
}

/**
 * How a state reads to a screen reader and in its tooltip: `submitting, compound state, current`.
 * @param {LayoutNode} node
 * @param {{ current: boolean, visited: boolean }} marks
 * @returns {string}
 */
export function nodeDescription(node, marks) {
  const kind = node.final ? 'final state' : node.compound ? 'compound state' : 'state';
  const parts = [node.id, node.initial ? `initial ${kind}` : kind];
  if (marks.current) parts.push('current');
  else if (marks.visited) parts.push('visited');
  return parts.join(', ');
}

/**
 * An edge's tooltip: `connecting to streaming on STREAM_STARTED if modelReady`.
 * @param {LayoutEdge} edge
 * @returns {string}
 */
export function edgeDescription(edge) {
  const guard = edge.guard ? ` if ${edge.guard}` : '';
  return `${edge.source} to ${edge.target} on ${edge.label}${guard}`;
}

/** @param {number} n */
function round(n) {
  return Math.round(n * 10) / 10;
}
