// A state machine's definition as a graph: states as nodes; Next, Choice and Default, and Catch
// edges; Parallel branches and Map processors as nested groups. Laid out by dagre, drawn as SVG.

import dagre from '../vendor/dagre.esm.js';
import { s } from './dom.js';

const START = '\u0000start';
const END = '\u0000end';
const JOIN = '\u0000join';

function nodeSize(label, kind) {
  const width = Math.max(110, 7.2 * Math.max(label.length, kind.length + 2) + 28);
  return { width, height: 46 };
}

// Adds the states of one (sub-)machine to `graph` under `parent`, prefixing its start and end
// markers with `scope`. Returns the ids that enter and leave it.
function addMachine(graph, machine, parent, scope) {
  const start = `${scope}${START}`;
  const end = `${scope}${END}`;
  const states = machine.States || {};
  const terminal = scope === '' ? 'terminal' : 'terminal inner';
  graph.setNode(start, { label: scope === '' ? 'Start' : '', kind: '', class: terminal, ...(scope === '' ? { width: 70, height: 30 } : { width: 14, height: 14 }) });
  graph.setNode(end, { label: scope === '' ? 'End' : '', kind: '', class: terminal, ...(scope === '' ? { width: 70, height: 30 } : { width: 14, height: 14 }) });
  if (parent) {
    graph.setParent(start, parent);
    graph.setParent(end, parent);
  }
  const entry = (name) => (states[name] && (states[name].Type === 'Parallel' || states[name].Type === 'Map') ? name : name);
  const exitOf = (name) => {
    const state = states[name];
    return state && (state.Type === 'Parallel' || state.Type === 'Map') ? `${name}${JOIN}` : name;
  };
  if (machine.StartAt) graph.setEdge(start, entry(machine.StartAt), { label: '', class: '' }, `${start}>${machine.StartAt}`);
  for (const [name, state] of Object.entries(states)) {
    const kind = state.Type || '?';
    if (kind === 'Parallel' || kind === 'Map') {
      const group = `${name}\u0000group`;
      graph.setNode(group, { label: `${name} (${kind})`, cluster: true });
      if (parent) graph.setParent(group, parent);
      graph.setNode(name, { label: name, kind, state: name, ...nodeSize(name, kind) });
      graph.setNode(`${name}${JOIN}`, { label: '', kind: '', class: 'terminal inner', width: 14, height: 14 });
      graph.setParent(name, group);
      graph.setParent(`${name}${JOIN}`, group);
      const branches = kind === 'Parallel' ? state.Branches || [] : [state.ItemProcessor || state.Iterator || {}];
      branches.forEach((branch, index) => {
        const inner = `${name}\u0000branch${index}`;
        graph.setNode(inner, { label: kind === 'Parallel' ? `Branch ${index + 1}` : 'Item processor', cluster: true });
        graph.setParent(inner, group);
        const ids = addMachine(graph, branch, inner, `${inner}/`);
        graph.setEdge(name, ids.start, { label: '', class: '' }, `${name}>${ids.start}`);
        graph.setEdge(ids.end, `${name}${JOIN}`, { label: '', class: '' }, `${ids.end}>${name}`);
      });
    } else {
      graph.setNode(name, { label: name, kind, state: name, ...nodeSize(name, kind) });
      if (parent) graph.setParent(name, parent);
    }
    const from = exitOf(name);
    const edge = (to, label, style) => {
      if (!to) return;
      const target = states[to] ? entry(to) : to;
      if (!graph.hasNode(target)) graph.setNode(target, { label: to, kind: 'missing', ...nodeSize(to, 'missing') });
      graph.setEdge(from, target, { label: label || '', class: style || '' }, `${from}>${to}>${label}>${style}`);
    };
    if (kind === 'Choice') {
      (state.Choices || []).forEach((choice, index) => edge(choice.Next, choiceLabel(choice, index), ''));
      edge(state.Default, 'Default', 'default');
    } else if (state.Next) {
      edge(state.Next, '', '');
    }
    if (state.End || kind === 'Succeed' || kind === 'Fail') {
      graph.setEdge(from, end, { label: '', class: '' }, `${from}>end`);
    }
    for (const catcher of state.Catch || []) {
      edge(catcher.Next, `Catch ${(catcher.ErrorEquals || []).join(', ')}`, 'catch');
    }
  }
  return { start, end };
}

function choiceLabel(choice, index) {
  if (typeof choice.Condition === 'string') return shorten(choice.Condition);
  const variable = choice.Variable;
  const operator = Object.keys(choice).find((key) => !['Next', 'Variable', 'Assign', 'Comment', 'Output'].includes(key));
  if (variable && operator) return shorten(`${variable} ${operator} ${JSON.stringify(choice[operator])}`);
  return `Rule ${index + 1}`;
}

function shorten(text) {
  return text.length > 36 ? `${text.slice(0, 35)}…` : text;
}

// Lays out `definition` (the JSON text or object) and returns an SVG element. `statuses` maps a
// state name to `succeeded`, `failed`, `caught` or `running`; `onSelect(name)` is called when a
// state is chosen (click or Enter).
export function drawGraph(definition, { statuses = {}, onSelect, title = 'State machine graph' } = {}) {
  const machine = typeof definition === 'string' ? JSON.parse(definition) : definition;
  const graph = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 38, edgesep: 12, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  addMachine(graph, machine, null, '');
  for (const edge of graph.edges()) {
    const label = graph.edge(edge);
    if (label.label) {
      label.width = Math.min(240, label.label.length * 5.6 + 6);
      label.height = 14;
      label.labelpos = 'c';
    }
  }
  dagre.layout(graph);
  const size = graph.graph();
  const width = Math.ceil(size.width || 200);
  const height = Math.ceil(size.height || 100);
  const svg = s('svg', {
    width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': title,
  });
  svg.append(s('defs', null, s('marker', {
    id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
  }, s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#64748b' }))));
  // Groups first, the outer ones before the inner, so that nodes stay on top.
  const clusters = graph.nodes().filter((id) => graph.node(id).cluster);
  const depth = (id) => {
    let d = 0;
    for (let p = graph.parent(id); p; p = graph.parent(p)) d += 1;
    return d;
  };
  clusters.sort((a, b) => depth(a) - depth(b));
  for (const id of clusters) {
    const node = graph.node(id);
    svg.append(s('g', { class: 'cluster' },
      s('rect', { x: node.x - node.width / 2, y: node.y - node.height / 2, width: node.width, height: node.height, rx: 8 }),
      s('text', { x: node.x - node.width / 2 + 8, y: node.y - node.height / 2 + 13 }, node.label)));
  }
  for (const edge of graph.edges()) {
    const label = graph.edge(edge);
    const points = label.points || [];
    if (!points.length) continue;
    const d = points.map((point, index) => `${index ? 'L' : 'M'} ${point.x.toFixed(1)} ${point.y.toFixed(1)}`).join(' ');
    const group = s('g', { class: `edge ${label.class || ''}` }, s('path', { d, 'marker-end': 'url(#arrow)' }));
    if (label.label && label.x !== undefined) {
      group.append(s('text', { x: label.x, y: label.y + 3, 'text-anchor': 'middle' }, label.label));
    }
    svg.append(group);
  }
  for (const id of graph.nodes()) {
    const node = graph.node(id);
    if (node.cluster) continue;
    const status = node.state ? statuses[node.state] : undefined;
    const classes = ['node', node.class || '', status || ''].join(' ').trim();
    const x = node.x - node.width / 2;
    const y = node.y - node.height / 2;
    const attributes = { class: classes, 'data-state': node.state || null };
    if (node.state && onSelect) {
      attributes.tabindex = 0;
      attributes.role = 'button';
      attributes['aria-label'] = `${node.label} ${node.kind}${status ? `, ${status}` : ''}`;
    }
    const group = s('g', attributes,
      s('rect', { x, y, width: node.width, height: node.height, rx: node.label ? 6 : 7 }));
    if (node.label && node.kind) {
      group.append(s('text', { x: node.x, y: node.y - 2, 'text-anchor': 'middle' }, node.label));
      group.append(s('text', { x: node.x, y: node.y + 13, 'text-anchor': 'middle', class: 'kind' }, ` ${node.kind}`));
    } else if (node.label) {
      group.append(s('text', { x: node.x, y: node.y + 4, 'text-anchor': 'middle' }, node.label));
    }
    if (node.state && onSelect) {
      group.addEventListener('click', () => onSelect(node.state));
      group.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          onSelect(node.state);
        }
      });
    }
    svg.append(group);
  }
  return svg;
}

export function details(event) {
  const key = Object.keys(event).find((name) => name.endsWith('EventDetails'));
  return key ? event[key] : null;
}

const FAILURE = /(Failed|TimedOut|Aborted)$/;

// Each visit of a state in an execution's history (entered to exited, with its input, output
// and the error it met), and the outcome of each state's last visit: `succeeded`, `failed`,
// `caught` (it failed and its Catch went on) or `running`. An event belongs to the visit of the
// event before it (previousEventId); a Parallel's or Map's own failure belongs to the innermost
// such state still open.
export function visitsFromHistory(events) {
  const visits = [];
  const open = new Map();
  const owner = new Map();
  const compounds = [];
  let failedExecution = false;
  for (const event of events) {
    const entered = event.stateEnteredEventDetails;
    const exited = event.stateExitedEventDetails;
    const at = typeof event.timestamp === 'number' ? event.timestamp * 1000 : new Date(event.timestamp).getTime();
    if (entered) {
      const visit = {
        name: entered.name, type: event.type.replace(/StateEntered$/, ''), enteredMs: at, input: entered.input,
        status: event.type === 'FailStateEntered' ? 'failed' : 'running', trouble: null,
      };
      visits.push(visit);
      open.set(visit.name, visit);
      owner.set(event.id, visit);
      if (visit.type === 'Parallel' || visit.type === 'Map') compounds.push(visit);
      continue;
    }
    let visit;
    if (exited) {
      visit = open.get(exited.name);
    } else if (/^(Parallel|Map)State(Failed|Aborted)$|^MapRun(Failed|Aborted)$/.test(event.type)) {
      const kind = event.type.startsWith('Parallel') ? 'Parallel' : 'Map';
      visit = [...compounds].reverse().find((candidate) => candidate.type === kind);
    } else {
      visit = owner.get(event.previousEventId);
    }
    owner.set(event.id, visit);
    if (/^Execution(Failed|TimedOut|Aborted)$/.test(event.type)) failedExecution = true;
    if (!visit) continue;
    if (exited) {
      visit.exitedMs = at;
      visit.output = exited.output;
      if (visit.status !== 'failed') visit.status = visit.trouble ? 'caught' : 'succeeded';
      open.delete(visit.name);
      const index = compounds.indexOf(visit);
      if (index >= 0) compounds.splice(index, 1);
    } else if (FAILURE.test(event.type) && !event.type.startsWith('Execution')) {
      const info = details(event) || {};
      visit.trouble = { error: info.error, cause: info.cause };
    } else if (/Succeeded$/.test(event.type) && !event.type.startsWith('Execution')) {
      visit.trouble = null;
    }
  }
  const statuses = {};
  for (const visit of visits) {
    if (visit.status === 'running' && failedExecution) visit.status = 'failed';
    statuses[visit.name] = visit.status;
  }
  return { visits, statuses };
}
