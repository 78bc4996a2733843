// State machines: the list with versions, aliases and their routing, open and recent executions
// and the failure rate per version; and one machine's graph, definition, versions (with a
// side-by-side diff) and aliases.

import { all, sfn, cloudwatch } from './api.js';
import { metricNow } from './clock.js';
import { h, fill, currentQuery, nextFocus, badge, card, date, errorBox, link, percent, pretty, table, tail, weightBar } from './dom.js';
import { diffView } from './diff.js';
import { drawGraph } from './graph.js';

const DAY_MS = 24 * 3600 * 1000;

// Runs `task` over `items`, `limit` at a time, keeping their order.
export async function mapLimit(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// GetMetricData queries `v<i>m<j>`: for each version i, its ExecutionsStarted (j = 0) and the
// three ways to fail (j = 1..3), summed per `period` seconds.
export function versionQueries(machineArn, versionArns, period) {
  const names = ['ExecutionsStarted', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'];
  return versionArns.flatMap((arn, index) => names.map((name, which) => ({
    Id: `v${index}m${which}`,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/States', MetricName: name,
        Dimensions: [{ Name: 'StateMachineArn', Value: machineArn }, { Name: 'Version', Value: tail(arn) }],
      },
      Period: period, Stat: 'Sum',
    },
  })));
}

// Executions started and failed (failed, timed out or aborted) per version over the last day,
// from the AWS/States metrics, in one GetMetricData call.
export async function versionFailures(machineArn, versionArns) {
  if (!versionArns.length) return {};
  const end = metricNow();
  const queries = versionQueries(machineArn, versionArns, 86400);
  const answer = await cloudwatch('GetMetricData', {
    MetricDataQueries: queries, StartTime: (end - DAY_MS) / 1000, EndTime: end / 1000,
  });
  const sums = {};
  for (const result of answer.MetricDataResults || []) {
    sums[result.Id] = (result.Values || []).reduce((sum, value) => sum + value, 0);
  }
  const out = {};
  versionArns.forEach((arn, index) => {
    const started = sums[`v${index}m0`] || 0;
    const failed = (sums[`v${index}m1`] || 0) + (sums[`v${index}m2`] || 0) + (sums[`v${index}m3`] || 0);
    out[arn] = { started, failed };
  });
  return out;
}

export async function aliasesOf(machineArn) {
  const listed = await all(sfn, 'ListStateMachineAliases', { stateMachineArn: machineArn }, 'stateMachineAliases');
  return mapLimit(listed, 4, (alias) => sfn('DescribeStateMachineAlias', { stateMachineAliasArn: alias.stateMachineAliasArn }));
}

export function aliasRouting(alias) {
  const routes = (alias.routingConfiguration || []).map((route) => ({ label: `v${tail(route.stateMachineVersionArn)}`, weight: route.weight }));
  return h('div', { class: 'alias-row' },
    h('span', { class: 'mono' }, alias.name), weightBar(routes),
    h('span', { class: 'muted' }, routes.map((route) => `${route.label} ${route.weight} %`).join(' · ')));
}

async function summarise(machine) {
  const arn = machine.stateMachineArn;
  const [described, versions, aliases] = await Promise.all([
    sfn('DescribeStateMachine', { stateMachineArn: arn }),
    all(sfn, 'ListStateMachineVersions', { stateMachineArn: arn }, 'stateMachineVersions'),
    aliasesOf(arn),
  ]);
  let open = null;
  let recent = [];
  if (described.type === 'STANDARD') {
    const [running, latest] = await Promise.all([
      sfn('ListExecutions', { stateMachineArn: arn, statusFilter: 'RUNNING', maxResults: 1000 }),
      sfn('ListExecutions', { stateMachineArn: arn, maxResults: 5 }),
    ]);
    open = `${running.executions.length}${running.nextToken ? '+' : ''}`;
    recent = latest.executions;
  }
  const shown = versions.slice(0, 5).map((version) => version.stateMachineVersionArn);
  let failures = {};
  try {
    failures = await versionFailures(arn, shown);
  } catch (error) {
    failures = { error };
  }
  return { machine, described, versions, aliases, open, recent, shown, failures };
}

export async function machinesPage(main, _args, _params, context) {
  fill(main, h('h1', null, 'State machines'), h('p', { class: 'muted' }, 'Loading…'));
  const machines = await all(sfn, 'ListStateMachines', {}, 'stateMachines');
  const summaries = await mapLimit(machines, 6, summarise);
  if (!context.current()) return;
  const rows = summaries.map((item) => [
    link(`/machines/${encodeURIComponent(item.machine.stateMachineArn)}`, item.machine.name),
    item.described.type,
    h('span', { title: item.described.revisionId || '' }, item.described.revisionId ? item.described.revisionId.slice(0, 8) : '–',
      h('div', { class: 'muted' }, date(item.described.creationDate))),
    item.versions.length ? `${item.versions.length} (latest v${tail(item.versions[0].stateMachineVersionArn)})` : 'none',
    item.aliases.length ? item.aliases.map(aliasRouting) : h('span', { class: 'muted' }, 'none'),
    item.open === null ? h('span', { class: 'muted', title: 'EXPRESS executions are not kept' }, 'n/a') : item.open,
    item.recent.length
      ? h('div', null, item.recent.map((execution) => h('div', null,
        link(`/executions/${encodeURIComponent(execution.executionArn)}`, badge(execution.status),
          { title: execution.name, 'aria-label': `${execution.name} ${execution.status}` }),
        ' ', h('span', { class: 'muted' }, date(execution.startDate).slice(11)))))
      : h('span', { class: 'muted' }, item.open === null ? 'n/a' : 'none'),
    item.failures.error ? errorBox(item.failures.error) : item.shown.length
      ? h('div', null, item.shown.map((arn) => {
        const counts = item.failures[arn] || { started: 0, failed: 0 };
        return h('div', { class: 'mono' }, `v${tail(arn)}: ${percent(counts.failed, counts.started)} of ${counts.started}`);
      }))
      : h('span', { class: 'muted' }, 'no versions'),
  ]);
  fill(main, 
    h('h1', null, 'State machines'),
    machines.length
      ? table(['Name', 'Type', 'Latest revision', 'Versions', 'Aliases and routing', 'Open executions', 'Recent executions', 'Failure rate per version (24 h)'], rows, { caption: 'State machines' })
      : h('p', null, 'No state machines yet. Create one with ', h('code', null, 'aws stepfunctions create-state-machine'), ' or ', h('code', null, 'switchback deploy'), '.'),
  );
}

// The tab pattern: one tab in the Tab order, the arrow keys (and Home, End) move between them.
function tabs(labels, selected, onSelect) {
  const keys = labels.map(([key]) => key);
  const move = (event) => {
    const index = keys.indexOf(selected);
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: keys.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const key = keys[(next + keys.length) % keys.length];
    nextFocus.id = `tab-${key}`;
    onSelect(key);
  };
  return h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Views', onkeydown: move }, labels.map(([key, label]) => h('button', {
    type: 'button', role: 'tab', id: `tab-${key}`, 'aria-selected': String(key === selected), 'aria-controls': `panel-${key}`,
    tabindex: key === selected ? 0 : -1, onclick: () => onSelect(key),
  }, label)));
}

function versionLabel(arn, machineArn) {
  return arn === machineArn ? 'latest revision' : `version ${tail(arn)}`;
}

export async function machinePage(main, [machineArn], params, context) {
  const selectedArn = params.get('version') ? `${machineArn}:${params.get('version')}` : machineArn;
  const tab = params.get('tab') || 'graph';
  const [described, versions, aliases] = await Promise.all([
    sfn('DescribeStateMachine', { stateMachineArn: selectedArn }),
    all(sfn, 'ListStateMachineVersions', { stateMachineArn: machineArn }, 'stateMachineVersions'),
    aliasesOf(machineArn),
  ]);
  if (!context.current()) return;
  const go = (changes) => {
    const next = currentQuery();
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) next.delete(key);
      else next.set(key, value);
    }
    location.hash = `#/machines/${encodeURIComponent(machineArn)}?${next}`;
  };
  const choices = [machineArn, ...versions.map((version) => version.stateMachineVersionArn)];
  const picker = (id, label, value, onChange) => h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, onchange: (event) => onChange(event.target.value) },
      choices.map((arn) => h('option', { value: arn, selected: arn === value }, versionLabel(arn, machineArn)))));
  const panel = h('div', { id: `panel-${tab}`, role: 'tabpanel', 'aria-labelledby': `tab-${tab}` });
  const header = [
    h('div', { class: 'crumbs' }, link('/', 'State machines'), ' / ', described.name),
    h('h1', null, described.name),
    h('div', { class: 'cards' },
      card('Type', described.type),
      card('Showing', versionLabel(selectedArn, machineArn)),
      card('Status', described.status || 'ACTIVE'),
      card('Versions', String(versions.length)),
      card('Aliases', String(aliases.length))),
    h('p', null,
      link(`/executions?machine=${encodeURIComponent(machineArn)}`, 'Executions of this state machine'), ' · ',
      link(`/deployments?machine=${encodeURIComponent(machineArn)}`, 'Deployments'), ' · ',
      h('span', { class: 'mono muted' }, machineArn)),
    h('div', { class: 'filters' }, picker('show-version', 'Definition of', selectedArn, (arn) => go({ version: arn === machineArn ? null : tail(arn) }))),
    tabs([['graph', 'Graph'], ['definition', 'Definition'], ['versions', `Versions (${versions.length})`], ['aliases', `Aliases (${aliases.length})`], ['compare', 'Compare versions']],
      tab, (key) => go({ tab: key })),
    panel,
  ];
  fill(main, ...header);
  if (tab === 'graph') {
    try {
      panel.append(h('div', { class: 'split' },
        h('div', { class: 'graph', tabindex: 0, role: 'region', 'aria-label': 'Graph (scrolls)' }, drawGraph(described.definition, { title: `Graph of ${described.name}` })),
        h('div', null, h('h2', null, 'Definition'), h('pre', { tabindex: 0, 'aria-label': 'Definition' }, pretty(described.definition)))));
    } catch (error) {
      panel.append(errorBox({ type: 'GraphError', message: `The definition could not be drawn: ${error.message}` }));
    }
  } else if (tab === 'definition') {
    panel.append(h('pre', { tabindex: 0, 'aria-label': 'Definition' }, pretty(described.definition)));
  } else if (tab === 'versions') {
    const failures = await versionFailures(machineArn, versions.slice(0, 50).map((version) => version.stateMachineVersionArn)).catch(() => ({}));
    const detail = await mapLimit(versions.slice(0, 50), 6, (version) => sfn('DescribeStateMachine', { stateMachineArn: version.stateMachineVersionArn }));
    if (!context.current()) return;
    panel.append(versions.length ? table(['Version', 'Created', 'Description', 'Revision', 'Executions (24 h)', 'Failure rate', ''],
      versions.slice(0, 50).map((version, index) => {
        const counts = failures[version.stateMachineVersionArn] || { started: 0, failed: 0 };
        return [
          `v${tail(version.stateMachineVersionArn)}`, date(version.creationDate), detail[index].description || '',
          h('span', { class: 'mono' }, (detail[index].revisionId || '').slice(0, 8)),
          String(counts.started), percent(counts.failed, counts.started),
          link(`/machines/${encodeURIComponent(machineArn)}?version=${tail(version.stateMachineVersionArn)}&tab=graph`, 'graph'),
        ];
      }), { numeric: [4, 5] }) : h('p', null, 'No versions published. ', h('code', null, 'aws stepfunctions publish-state-machine-version'), ' makes one.'));
  } else if (tab === 'aliases') {
    panel.append(aliases.length ? table(['Alias', 'Routing', 'Description', 'Updated'], aliases.map((alias) => [
      alias.name, aliasRouting(alias), alias.description || '', date(alias.updateDate || alias.creationDate),
    ])) : h('p', null, 'No aliases.'));
  } else if (tab === 'compare') {
    const left = params.get('a') || (choices[2] || choices[0]);
    const right = params.get('b') || (choices[1] || choices[0]);
    const [a, b] = await Promise.all([left, right].map((arn) => sfn('DescribeStateMachine', { stateMachineArn: arn })));
    if (!context.current()) return;
    // The states that differ between the two, marked on both graphs.
    const statesOf = (machine) => {
      try {
        return JSON.parse(machine.definition).States || {};
      } catch {
        return {};
      }
    };
    const [statesA, statesB] = [statesOf(a), statesOf(b)];
    const changed = {};
    for (const name of new Set([...Object.keys(statesA), ...Object.keys(statesB)])) {
      if (JSON.stringify(statesA[name]) !== JSON.stringify(statesB[name])) changed[name] = 'changed';
    }
    const graphOf = (machine, arn) => {
      try {
        return drawGraph(machine.definition, { statuses: changed, title: `Graph of ${versionLabel(arn, machineArn)}` });
      } catch (error) {
        return errorBox({ type: 'GraphError', message: error.message });
      }
    };
    panel.append(
      h('div', { class: 'filters' },
        picker('compare-a', 'Left', left, (arn) => go({ a: arn })),
        picker('compare-b', 'Right', right, (arn) => go({ b: arn }))),
      diffView(pretty(a.definition), pretty(b.definition), { leftTitle: versionLabel(left, machineArn), rightTitle: versionLabel(right, machineArn) }),
      h('p', { class: 'muted' }, Object.keys(changed).length
        ? `States that differ, marked on both graphs: ${Object.keys(changed).join(', ')}` : 'No state differs.'),
      h('div', { class: 'side' },
        h('div', null, h('h3', null, versionLabel(left, machineArn)), h('div', { class: 'graph', tabindex: 0, role: 'region', 'aria-label': 'Graph (scrolls)' }, graphOf(a, left))),
        h('div', null, h('h3', null, versionLabel(right, machineArn)), h('div', { class: 'graph', tabindex: 0, role: 'region', 'aria-label': 'Graph (scrolls)' }, graphOf(b, right)))));
  }
  const firstChange = panel.querySelector('.diff tr.row-add, .diff tr.row-del');
  if (firstChange) firstChange.closest('.diff').scrollTop = Math.max(0, firstChange.offsetTop - 60);
  const selected = document.getElementById(`tab-${tab}`);
  if (params.has('tab') && selected) selected.focus();
}
