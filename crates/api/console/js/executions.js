// Executions: the list with filters (state machine, status, version, alias, start time), and an
// execution's page: its graph with the path taken coloured by outcome, its steps with input and
// output, its event history, its error and cause, and its timings.

import { all, sfn } from './api.js';
import { wallNow } from './clock.js';
import { h, fill, currentQuery, badge, card, date, duration, errorBox, link, pretty, table, tail, machineOf, announce } from './dom.js';
import { details, drawGraph, visitsFromHistory } from './graph.js';

// PENDING_REDRIVE is a Map Run's children's status only: ListExecutions refuses it here.
const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const PAGE = 100;

function toLocalInput(seconds) {
  const value = new Date(seconds * 1000);
  const offset = value.getTimezoneOffset() * 60000;
  return new Date(value - offset).toISOString().slice(0, 16);
}

function fromLocalInput(text) {
  return text ? new Date(text).getTime() / 1000 : null;
}

export async function executionsPage(main, _args, params, context) {
  const machines = (await all(sfn, 'ListStateMachines', {}, 'stateMachines'));
  const described = await Promise.all(machines.map((machine) => sfn('DescribeStateMachine', { stateMachineArn: machine.stateMachineArn })));
  const standard = machines.filter((_, index) => described[index].type === 'STANDARD');
  const machine = params.get('machine') || '';
  const status = params.get('status') || '';
  const version = params.get('version') || '';
  const alias = params.get('alias') || '';
  const from = params.get('from') ? Number(params.get('from')) : null;
  const to = params.get('to') ? Number(params.get('to')) : null;
  let versions = [];
  let aliases = [];
  if (machine) {
    [versions, aliases] = await Promise.all([
      all(sfn, 'ListStateMachineVersions', { stateMachineArn: machine }, 'stateMachineVersions'),
      all(sfn, 'ListStateMachineAliases', { stateMachineArn: machine }, 'stateMachineAliases'),
    ]);
  }
  if (!context.current()) return;
  const apply = (changes) => {
    const next = currentQuery();
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    }
    if ('machine' in changes) {
      next.delete('version');
      next.delete('alias');
    }
    location.hash = `#/executions?${next}`;
  };
  const select = (id, label, value, options, onChange) => h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, onchange: (event) => onChange(event.target.value) },
      options.map(([optionValue, text]) => h('option', { value: optionValue, selected: optionValue === value }, text))));
  const fromInput = h('input', { id: 'filter-from', type: 'datetime-local', value: from ? toLocalInput(from) : '' });
  const toInput = h('input', { id: 'filter-to', type: 'datetime-local', value: to ? toLocalInput(to) : '' });
  const filters = h('form', {
    class: 'filters', 'aria-label': 'Filters',
    onsubmit: (event) => {
      event.preventDefault();
      apply({ from: fromLocalInput(fromInput.value), to: fromLocalInput(toInput.value) });
    },
  },
  select('filter-machine', 'State machine', machine, [['', 'All STANDARD state machines'], ...standard.map((item) => [item.stateMachineArn, item.name])], (value) => apply({ machine: value })),
  select('filter-status', 'Status', status, [['', 'Any status'], ...STATUSES.map((item) => [item, item])], (value) => apply({ status: value })),
  select('filter-version', 'Version', version, [['', machine ? 'Any version' : 'Choose a state machine'], ...versions.map((item) => [tail(item.stateMachineVersionArn), `v${tail(item.stateMachineVersionArn)}`])], (value) => apply({ version: value })),
  select('filter-alias', 'Alias', alias, [['', machine ? 'Any alias' : 'Choose a state machine'], ...aliases.map((item) => [tail(item.stateMachineAliasArn), item.name || tail(item.stateMachineAliasArn)])], (value) => apply({ alias: value })),
  h('div', { class: 'field' }, h('label', { for: 'filter-from' }, 'Started after'), fromInput),
  h('div', { class: 'field' }, h('label', { for: 'filter-to' }, 'Started before'), toInput),
  h('button', { type: 'submit' }, 'Apply times'),
  h('button', { type: 'button', onclick: () => { location.hash = '#/executions'; } }, 'Clear filters'));
  const body = h('tbody');
  const summary = h('p', { class: 'muted', id: 'execution-count' }, 'Loading…');
  const more = h('button', { type: 'button', class: 'more', hidden: true }, 'Load more');
  fill(main, 
    h('h1', null, 'Executions'), filters, summary,
    h('table', { id: 'executions' },
      h('caption', { class: 'sr-only' }, 'Executions'),
      h('thead', null, h('tr', null, ['Name', 'Status', 'State machine', 'Version', 'Alias', 'Started', 'Duration']
        .map((heading) => h('th', { scope: 'col' }, heading)))),
      body),
    more);

  // One cursor per machine listed; with an alias and a version, the alias is asked of the
  // server and the version kept here.
  const targets = (machine ? [machine] : standard.map((item) => item.stateMachineArn)).map((arn) => ({
    arn: alias ? `${arn}:${alias}` : version ? `${arn}:${version}` : arn, token: undefined, done: false, buffer: [],
  }));
  const keep = (execution) => (!version || !alias || tail(execution.stateMachineVersionArn) === version)
    && (from === null || execution.startDate >= from) && (to === null || execution.startDate <= to);
  let shown = 0;
  const load = async () => {
    more.disabled = true;
    const rows = [];
    // Pages come newest first: once a page ends before `from`, nothing later can match.
    while (rows.length < PAGE && targets.some((target) => !target.done || target.buffer.length)) {
      await Promise.all(targets.filter((target) => !target.done && target.buffer.length < PAGE).map(async (target) => {
        const page = await sfn('ListExecutions', {
          // Executions started after `to` are skipped here: read them in the largest pages.
          stateMachineArn: target.arn, maxResults: to !== null || (version && alias) ? 1000 : PAGE, ...(status ? { statusFilter: status } : {}), ...(target.token ? { nextToken: target.token } : {}),
        });
        target.buffer.push(...page.executions);
        target.token = page.nextToken;
        const last = page.executions[page.executions.length - 1];
        target.done = !page.nextToken || (from !== null && last && last.startDate < from);
      }));
      if (!context.current()) return;
      // Merge the machines' pages by start time, newest first.
      while (rows.length < PAGE) {
        const candidates = targets.filter((target) => target.buffer.length);
        if (!candidates.length) break;
        const waiting = targets.some((target) => !target.done && !target.buffer.length);
        if (waiting) break;
        candidates.sort((a, b) => b.buffer[0].startDate - a.buffer[0].startDate);
        const execution = candidates[0].buffer.shift();
        if (keep(execution)) rows.push(execution);
        if (from !== null && execution.startDate < from) candidates[0].buffer.length = 0;
      }
    }
    for (const execution of rows) {
      const end = execution.stopDate ? execution.stopDate * 1000 : null;
      body.append(h('tr', null,
        h('td', null, link(`/executions/${encodeURIComponent(execution.executionArn)}`, execution.name)),
        h('td', null, badge(execution.status)),
        h('td', null, link(`/machines/${encodeURIComponent(execution.stateMachineArn)}`, tail(execution.stateMachineArn))),
        h('td', null, execution.stateMachineVersionArn ? `v${tail(execution.stateMachineVersionArn)}` : ''),
        h('td', null, execution.stateMachineAliasArn ? tail(execution.stateMachineAliasArn) : ''),
        h('td', null, date(execution.startDate)),
        h('td', { class: 'num' }, end ? duration(end - execution.startDate * 1000) : '')));
    }
    shown += rows.length;
    const remaining = targets.some((target) => !target.done || target.buffer.length);
    summary.textContent = shown ? `${shown} execution${shown === 1 ? '' : 's'} shown${remaining ? ' (more to load)' : ''}` : 'No executions match.';
    more.hidden = !remaining;
    more.disabled = false;
    announce(summary.textContent);
  };
  more.addEventListener('click', () => load().catch((error) => {
    if (context.current()) main.append(errorBox(error));
  }));
  if (!targets.length) {
    summary.textContent = 'No STANDARD state machines: EXPRESS executions are not kept (see their log group).';
    return;
  }
  await load();
}

const DETAIL_KEYS = Object.freeze(['input', 'output']);
const BADGE = { succeeded: 'SUCCEEDED', failed: 'FAILED', running: 'RUNNING', caught: 'caught' };

// One row per visit of a state, with its input and output.
function steps(visits, startMs) {
  return visits.map((visit) => [
    visit.name, visit.type, badge(BADGE[visit.status], visit.status),
    duration(visit.enteredMs - startMs), visit.exitedMs ? duration(visit.exitedMs - visit.enteredMs) : '',
    visit.trouble ? h('span', null, h('strong', null, visit.trouble.error || ''), ' ', visit.trouble.cause || '') : '',
    DETAIL_KEYS.map((key) => (visit[key] !== undefined
      ? h('details', null, h('summary', null, key), h('pre', null, pretty(visit[key]))) : null)),
  ]);
}

function eventRows(events, startMs) {
  return events.map((event) => {
    const info = details(event);
    return [
      String(event.id), event.type, duration(new Date(event.timestamp * 1000).getTime() - startMs),
      info && info.name ? info.name : '',
      info ? h('details', null, h('summary', null, Object.keys(info).join(', ') || 'details'), h('pre', null, JSON.stringify(info, null, 2))) : '',
    ];
  });
}

// The events after `lastId`, in order.
async function newerEvents(executionArn, lastId) {
  const fresh = [];
  let token;
  do {
    const page = await sfn('GetExecutionHistory', {
      executionArn, reverseOrder: true, maxResults: 100, ...(token ? { nextToken: token } : {}),
    });
    for (const event of page.events) {
      if (event.id <= lastId) return fresh.reverse();
      fresh.push(event);
    }
    token = page.nextToken;
  } while (token);
  return fresh.reverse();
}

// The first EVENTS_SHOWN events, and a button for the rest: a long history stays quick to draw.
const EVENTS_SHOWN = 500;

function eventTable(history, startMs) {
  const headings = ['ID', 'Type', 'Since start', 'State', 'Details'];
  const shown = table(headings, eventRows(history.slice(0, EVENTS_SHOWN), startMs), { caption: 'Event history', numeric: [0] });
  if (history.length <= EVENTS_SHOWN) return shown;
  const button = h('button', { type: 'button', class: 'more' }, `Show all ${history.length} events`);
  const wrapper = h('div', null, shown, button);
  button.addEventListener('click', () => {
    wrapper.replaceChildren(table(headings, eventRows(history, startMs), { caption: 'Event history', numeric: [0] }));
  });
  return wrapper;
}

export async function executionPage(main, [executionArn], _params, context) {
  // The history read so far: a redraw reads only the events after its last (newest first,
  // until a known id), so polling a long execution costs one small request.
  let history = null;
  let machine = null;
  const draw = async () => {
    const [execution, events] = await Promise.all([
      sfn('DescribeExecution', { executionArn }),
      history ? newerEvents(executionArn, history[history.length - 1]?.id ?? 0)
        : all(sfn, 'GetExecutionHistory', { executionArn }, 'events', { limit: 25000 }),
    ]);
    machine = machine || await sfn('DescribeStateMachineForExecution', { executionArn });
    if (!context.current()) return false;
    if (history) {
      const truncated = history.truncated;
      history = history.concat(events);
      history.truncated = truncated;
    } else {
      history = events;
    }
    const { visits, statuses } = visitsFromHistory(history);
    const startMs = execution.startDate * 1000;
    const endMs = execution.stopDate ? execution.stopDate * 1000 : null;
    const machineArn = machineOf(execution.stateMachineArn);
    const graph = h('div', { class: 'graph', id: 'execution-graph' });
    try {
      graph.append(drawGraph(machine.definition, {
        statuses,
        title: `Path of ${execution.name}`,
        onSelect: (name) => {
          const row = document.querySelector(`#steps tr[data-state="${CSS.escape(name)}"]`);
          if (row) {
            row.scrollIntoView({ block: 'center' });
            row.focus();
          }
        },
      }));
    } catch (error) {
      graph.append(errorBox({ type: 'GraphError', message: error.message }));
    }
    const stepRows = steps(visits, startMs);
    const stepTable = table(['State', 'Type', 'Status', 'Entered at', 'Took', 'Error', 'Input and output'], stepRows, { caption: 'Steps' });
    stepTable.id = 'steps';
    stepTable.querySelectorAll('tbody tr').forEach((row, index) => {
      row.dataset.state = stepRows[index][0];
      row.tabIndex = -1;
    });
    const failure = execution.error || execution.cause
      ? h('div', { class: 'error-box', role: 'alert' }, h('strong', null, execution.error || 'Error'), execution.cause ? h('pre', null, pretty(execution.cause)) : null)
      : null;
    fill(main, 
      h('div', { class: 'crumbs' }, link('/executions', 'Executions'), ' / ',
        link(`/executions?machine=${encodeURIComponent(machineArn)}`, tail(machineArn)), ' / ', execution.name),
      h('h1', null, execution.name),
      h('div', { class: 'cards' },
        card('Status', badge(execution.status)),
        card('State machine', link(`/machines/${encodeURIComponent(machineArn)}`, tail(machineArn))),
        card('Version', execution.stateMachineVersionArn ? `v${tail(execution.stateMachineVersionArn)}` : 'latest revision'),
        card('Alias', execution.stateMachineAliasArn ? tail(execution.stateMachineAliasArn) : '–'),
        card('Started', h('span', { title: date(execution.startDate) }, date(execution.startDate).slice(11))),
        card('Duration', endMs ? duration(endMs - startMs) : `running for ${duration(wallNow() - startMs)}`),
        card('Events', `${history.length}${history.truncated ? '+' : ''}`)),
      failure,
      h('h2', null, 'Path taken'),
      h('div', { class: 'legend', 'aria-label': 'Legend' },
        badge('SUCCEEDED', 'succeeded'), badge('FAILED', 'failed'), badge('caught', 'caught'), badge('RUNNING', 'in progress'),
        h('span', { class: 'muted' }, 'States not visited stay white.')),
      h('div', { class: 'split' }, graph, h('div', null, h('h2', null, 'Steps'), stepTable)),
      h('h2', null, 'Input and output of the execution'),
      h('div', { class: 'side' },
        h('div', null, h('h3', null, 'Input'), h('pre', { id: 'execution-input' }, pretty(execution.input))),
        h('div', null, h('h3', null, 'Output'), h('pre', { id: 'execution-output' }, execution.output !== undefined ? pretty(execution.output) : '–'))),
      h('h2', null, 'Event history'),
      eventTable(history, startMs));
    return execution.status === 'RUNNING';
  };
  if (await draw()) context.every(1500, draw);
}
