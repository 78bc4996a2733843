// Deployments: the list with each outcome, and the live view of one: the traffic share of origin
// and target over time with each step marked, executions and failures per version per minute,
// the watched alarms' states on the same time axis, and the moment it rolled back or succeeded.

import { all, cloudwatch, switchback } from './api.js';
import { metricToWall, timeScale, wallNow } from './clock.js';
import { h, fill, badge, card, date, duration, link, table, tail, announce } from './dom.js';
import { timeChart } from './charts.js';
import { versionQueries } from './machines.js';

const MINUTE_MS = 60000;

function finished(status) {
  return !['IN_PROGRESS', 'PENDING'].includes(status);
}

export async function deploymentsPage(main, _args, params, context) {
  const machine = params.get('machine');
  const deployments = await all(switchback, 'ListDeployments', machine ? { stateMachineArn: machine } : {}, 'deployments', { pageSize: 100 });
  if (!context.current()) return;
  fill(main, 
    h('h1', null, 'Deployments'),
    machine ? h('p', null, `Of ${tail(machine)} · `, link('/deployments', 'all deployments')) : null,
    deployments.length ? table(['Deployment', 'Alias', 'From', 'To', 'Status', 'Target weight', 'Started', 'Last change'],
      deployments.map((item) => [
        link(`/deployments/${encodeURIComponent(item.deploymentId)}`, item.deploymentId),
        `${tail(item.stateMachineArn)}:${tail(item.stateMachineAliasArn)}`,
        item.originVersionArn ? `v${tail(item.originVersionArn)}` : '–',
        `v${tail(item.targetVersionArn)}`,
        badge(item.status), `${item.targetWeight} %`, date(item.creationDate), date(item.updateDate),
      ]), { caption: 'Deployments', numeric: [5] })
      : h('p', null, 'No deployments yet. ', h('code', null, 'switchback deploy'), ' or ', h('code', null, 'switchback deployments start'), ' starts one.'));
  if (deployments.some((item) => !finished(item.status))) context.every(3000, async () => { await deploymentsPage(main, _args, params, context); return false; });
}

// The deployment's own clock runs `timeScale` times faster from its creation (wall clock).
function clocks(deployment) {
  const created = deployment.creationDate * 1000;
  const scale = deployment.timeScale || timeScale;
  const fromWall = (wall) => created + (wall - created) * scale;
  return { created, fromWall, fromMetric: (ms) => fromWall(metricToWall(ms)) };
}

// The target's share over time, and a marker at each step, from the timeline.
function traffic(deployment, timeline) {
  const points = [];
  const markers = [];
  let step = 0;
  for (const entry of timeline) {
    const at = entry.date * 1000;
    if (entry.type === 'Started') {
      const originRoute = (entry.origin || []).find((route) => route.version === entry.target);
      points.push([at, originRoute ? originRoute.weight : 0]);
      markers.push({ at, label: 'started', class: 'marker' });
    } else if (entry.type === 'Shifted') {
      step += 1;
      points.push([at, entry.targetWeight]);
      markers.push({ at, label: `step ${step}: target at ${entry.targetWeight} %`, class: 'marker' });
    } else if (entry.type === 'RolledBack') {
      const kept = (entry.routing || []).find((route) => route.version === Number(tail(deployment.targetVersionArn)));
      points.push([at, kept ? kept.weight : 0]);
      markers.push({ at, label: 'rolled back', class: 'marker-end' });
    } else if (entry.type === 'Promoted') {
      points.push([at, 100]);
      markers.push({ at, label: 'promoted', class: 'marker-success' });
    } else if (entry.type === 'Finished' && deployment.status === 'SUCCEEDED') {
      markers.push({ at, label: 'succeeded', class: 'marker-success' });
    }
  }
  return { points, markers, steps: step };
}

// Each watched alarm's state over time, from the deployment's readings.
function alarmBands(deployment, timeline, end) {
  const bands = [];
  for (const alarm of deployment.alarms || []) {
    const segments = [];
    for (const entry of timeline) {
      if (entry.type !== 'AlarmChanged' || entry.alarm !== alarm.name) continue;
      const at = entry.date * 1000;
      if (segments.length) segments[segments.length - 1].to = at;
      segments.push({ from: at, to: end, state: entry.state });
    }
    bands.push({ label: alarm.name.length > 22 ? `${alarm.name.slice(0, 21)}…` : alarm.name, segments });
  }
  return bands;
}

// Executions and failures per version per minute (of the metric clock), from AWS/States.
async function perMinute(deployment, versions, range, clock) {
  const queries = versionQueries(deployment.stateMachineArn, versions, 60);
  const answer = await cloudwatch('GetMetricData', { MetricDataQueries: queries, StartTime: range.from / 1000, EndTime: range.to / 1000 });
  const byVersion = versions.map(() => new Map());
  for (const result of answer.MetricDataResults || []) {
    const [, index, which] = result.Id.match(/^v(\d+)m(\d+)$/).map(Number);
    (result.Timestamps || []).forEach((stamp, position) => {
      const at = clock.fromMetric(timestampMs(stamp));
      const bucket = byVersion[index].get(at) || { started: 0, failed: 0 };
      if (which === 0) bucket.started += result.Values[position];
      else bucket.failed += result.Values[position];
      byVersion[index].set(at, bucket);
    });
  }
  return byVersion;
}

function timestampMs(stamp) {
  return typeof stamp === 'number' ? stamp * 1000 : new Date(stamp).getTime();
}

async function alarmHistory(names) {
  const entries = [];
  for (const name of names) {
    const answer = await cloudwatch('DescribeAlarmHistory', { AlarmName: name, HistoryItemType: 'StateUpdate', MaxRecords: 100 });
    entries.push(...(answer.AlarmHistoryItems || []));
  }
  return entries.sort((a, b) => timestampMs(b.Timestamp) - timestampMs(a.Timestamp));
}

export async function deploymentPage(main, [deploymentId], _params, context) {
  const draw = async () => {
    const deployment = await switchback('DescribeDeployment', { deploymentId });
    if (!context.current()) return false;
    const clock = clocks(deployment);
    const timeline = deployment.timeline || [];
    const end = deployment.stopDate ? deployment.stopDate * 1000 : clock.fromWall(wallNow());
    const preference = deployment.deploymentPreference || {};
    const span = Math.max(end - clock.created, MINUTE_MS);
    const range = { from: clock.created - span * 0.03, to: end + span * 0.05 };
    const { points, markers, steps } = traffic(deployment, timeline);
    const versions = [deployment.originVersionArn, deployment.targetVersionArn].filter(Boolean);
    let buckets = [];
    let metricError = null;
    try {
      buckets = await perMinute(deployment, versions, metricToMetricRange(clock, range), clock);
    } catch (error) {
      metricError = error;
    }
    const alarmNames = (deployment.alarms || []).map((alarm) => alarm.name);
    const history = alarmNames.length ? await alarmHistory(alarmNames).catch(() => []) : [];
    if (!context.current()) return false;
    const bands = alarmBands(deployment, timeline, finished(deployment.status) ? range.to : end);
    const origin = deployment.originVersionArn ? `v${tail(deployment.originVersionArn)}` : 'origin';
    const target = `v${tail(deployment.targetVersionArn)}`;
    const trafficChart = timeChart({
      title: `Traffic share: ${origin} (origin) and ${target} (target), in % of executions through the alias`,
      from: range.from, to: range.to, yMax: 100, yUnit: ' %',
      lines: [
        { label: `${origin} (origin)`, class: 'origin', points: points.map(([at, weight]) => [at, 100 - weight]), until: end },
        { label: `${target} (target)`, class: 'target', points, until: end },
      ],
      bands, markers,
    });
    trafficChart.id = 'traffic-chart';
    const bars = [];
    buckets.forEach((bucketMap, index) => {
      for (const [at, bucket] of bucketMap) {
        bars.push({ version: index, at, width: MINUTE_MS, label: `v${tail(versions[index])}`, parts: [
          { value: Math.max(0, bucket.started - bucket.failed), class: 'bar-ok', label: 'succeeded or running' },
          { value: bucket.failed, class: 'bar-fail', label: 'failed' },
        ] });
      }
    });
    const executionCharts = versions.map((arn, index) => timeChart({
      title: `Executions of v${tail(arn)} per minute (blue) and failures (red)`,
      from: range.from, to: range.to, plotHeight: 80, markers,
      bars: bars.filter((bar) => bar.version === index),
    }));
    const outcome = timeline.find((entry) => entry.type === 'RolledBack' || entry.type === 'Finished');
    const totals = deployment.executions || [];
    fill(main, 
      h('div', { class: 'crumbs' }, link('/deployments', 'Deployments'), ' / ', deployment.deploymentId),
      h('h1', null, `Deployment of ${tail(deployment.stateMachineArn)}:${tail(deployment.stateMachineAliasArn)}`),
      h('div', { class: 'cards' },
        card('Status', badge(deployment.status)),
        card('Type', `${preference.type}${preference.percentage ? ` ${preference.percentage} %` : ''}${preference.interval ? ` every ${preference.interval} min` : ''}`),
        card('From → to', `${origin} → ${target}`),
        card('Target weight', `${deployment.targetWeight} %`),
        card('Steps taken', String(steps)),
        card(finished(deployment.status) ? 'Ended after' : 'Running for', duration(end - clock.created)),
        deployment.nextStepInSeconds !== undefined ? card('Next step in', duration(deployment.nextStepInSeconds * 1000)) : null),
      deployment.statusMessage ? h('p', { class: deployment.status === 'SUCCEEDED' ? '' : 'error-box', id: 'status-message' }, deployment.statusMessage) : null,
      timeScale !== 1 ? h('p', { class: 'muted' }, `Times run ${timeScale}× faster than the wall clock (--time-scale): the axis is the deployment's clock.`) : null,
      h('h2', null, 'Traffic'), trafficChart,
      h('h2', null, 'Executions per version'),
      metricError ? h('p', { class: 'error-box' }, metricError.message) : executionCharts,
      table(['Version', 'Executions since the start', 'Failed'], totals.map((item) => [
        `v${tail(item.stateMachineVersionArn)}`, String(item.executions), String(item.failed),
      ]), { numeric: [1, 2] }),
      h('h2', null, 'Alarms'),
      (deployment.alarms || []).length ? table(['Alarm', 'State', 'Reason'], deployment.alarms.map((alarm) => [
        alarm.name, badge(alarm.state), alarm.reason || '',
      ])) : h('p', { class: 'muted' }, 'No alarms watched.'),
      history.length ? h('details', null, h('summary', null, `Alarm history (${history.length})`),
        table(['Time (deployment clock)', 'Alarm', 'Change'], history.map((item) => [date(clock.fromMetric(timestampMs(item.Timestamp)) / 1000), item.AlarmName, item.HistorySummary]))) : null,
      h('h2', null, 'Timeline'),
      h('ol', { class: 'timeline', id: 'timeline' }, timeline.map((entry) => h('li', {
        class: entry.type === 'RolledBack' || (entry.type === 'AlarmChanged' && entry.state === 'ALARM') ? 'bad'
          : entry.type === 'Finished' && deployment.status === 'SUCCEEDED' ? 'good' : '',
      }, h('span', { class: 'mono' }, date(entry.date).slice(11)), ' ', describeEntry(entry)))),
      outcome ? h('p', { class: 'muted' }, `Ended ${date(outcome.date)} (deployment clock).`) : null);
    if (finished(deployment.status)) announce(`Deployment ${deployment.status}`);
    return !finished(deployment.status);
  };
  if (await draw()) context.every(2000, draw);
}

// The chart's range (deployment clock) on the metric clock.
function metricToMetricRange(clock, range) {
  // fromMetric is an offset on the same scale: invert it by measuring the offset at one point.
  const offset = clock.fromMetric(0) - 0;
  return {
    from: Math.floor((range.from - offset) / MINUTE_MS) * MINUTE_MS,
    to: Math.ceil((range.to - offset) / MINUTE_MS) * MINUTE_MS + MINUTE_MS,
  };
}

function describeEntry(entry) {
  const routing = (routes) => (routes || []).map((route) => `v${route.version} ${route.weight} %`).join(', ');
  switch (entry.type) {
    case 'Started': return `Started from ${routing(entry.origin)} towards v${entry.target}`;
    case 'Shifted': return `Shifted: ${routing(entry.routing)} (target at ${entry.targetWeight} %)`;
    case 'AlarmChanged': return `Alarm ${entry.alarm} is ${entry.state}${entry.reason ? `: ${entry.reason}` : ''}`;
    case 'Watching': return `Target at 100 %; watching the alarms until ${date(entry.untilMs / 1000).slice(11)}`;
    case 'RolledBack': return `Rolled back: ${routing(entry.routing)}`;
    case 'Promoted': return 'Promoted: 100 % to the target';
    case 'Finished': {
      const { type, date: _date, ...rest } = entry;
      void type; void _date;
      const detail = Object.values(rest).filter((value) => typeof value === 'string').join(' ');
      return `Finished${detail ? `: ${detail}` : ''}`;
    }
    default: return entry.type;
  }
}
