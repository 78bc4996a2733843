// Alarms and metrics: each alarm with its state history, and small charts of the main AWS/States
// metrics per state machine, version and alias over the last hour.

import { all, cloudwatch } from './api.js';
import { metricNow, timeScale } from './clock.js';
import { h, fill, badge, date, table, tail } from './dom.js';
import { timeChart } from './charts.js';

const MINUTE_MS = 60000;
const RANGES = { '1h': [60, 60], '6h': [360, 300], '24h': [1440, 1800] };

function timestampMs(stamp) {
  return typeof stamp === 'number' ? stamp * 1000 : new Date(stamp).getTime();
}

function dimensionLabel(dimensions) {
  const byName = Object.fromEntries(dimensions.map((item) => [item.Name, item.Value]));
  const machine = tail(byName.StateMachineArn || '?');
  if (byName.Version) return `${machine} v${byName.Version}`;
  if (byName.Alias) return `${machine}:${byName.Alias}`;
  return machine;
}

export async function alarmsPage(main, _args, params, context) {
  const alarms = await all(cloudwatch, 'DescribeAlarms', {}, 'MetricAlarms', { token: 'NextToken', pageSize: 100 });
  const histories = await Promise.all(alarms.map((alarm) => cloudwatch('DescribeAlarmHistory', {
    AlarmName: alarm.AlarmName, HistoryItemType: 'StateUpdate', MaxRecords: 20,
  }).then((answer) => answer.AlarmHistoryItems || [])));
  const listed = await all(cloudwatch, 'ListMetrics', { Namespace: 'AWS/States', MetricName: 'ExecutionsStarted' }, 'Metrics', { token: 'NextToken', pageSize: 0 });
  const sets = listed.map((metric) => metric.Dimensions || [])
    .sort((a, b) => dimensionLabel(a).localeCompare(dimensionLabel(b)))
    .slice(0, 40);
  const range = RANGES[params.get('range')] ? params.get('range') : '1h';
  const [minutes, period] = RANGES[range];
  const end = metricNow();
  const from = Math.floor((end - minutes * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  const metrics = [['ExecutionsStarted', 'Sum'], ['ExecutionsFailed', 'Sum'], ['ExecutionTime', 'Average']];
  const queries = [];
  sets.forEach((dimensions, index) => metrics.forEach(([name, stat], which) => queries.push({
    Id: `d${index}m${which}`,
    MetricStat: { Metric: { Namespace: 'AWS/States', MetricName: name, Dimensions: dimensions }, Period: period, Stat: stat },
  })));
  const results = {};
  for (let start = 0; start < queries.length; start += 300) {
    const answer = await cloudwatch('GetMetricData', {
      MetricDataQueries: queries.slice(start, start + 300), StartTime: from / 1000, EndTime: end / 1000,
    });
    for (const result of answer.MetricDataResults || []) results[result.Id] = result;
  }
  if (!context.current()) return;
  const chart = (id, title, unit) => {
    const result = results[id] || { Timestamps: [], Values: [] };
    return timeChart({
      from, to: end + MINUTE_MS, title, yUnit: unit, plotHeight: 60, width: 340, left: 46, ticks: 2,
      bars: (result.Timestamps || []).map((stamp, index) => ({
        at: timestampMs(stamp), width: period * 1000, label: title,
        parts: [{ value: Math.round(result.Values[index] * 10) / 10, class: id.endsWith('m1') ? 'bar-fail' : 'bar-ok' }],
      })),
    });
  };
  fill(main, 
    h('h1', null, 'Alarms and metrics'),
    h('h2', null, `Alarms (${alarms.length})`),
    alarms.length ? h('div', { id: 'alarms' }, alarms.map((alarm, index) => h('section', { class: 'card', 'aria-label': alarm.AlarmName },
      h('h3', null, alarm.AlarmName, ' ', badge(alarm.StateValue)),
      h('p', { class: 'muted' }, `${alarm.Namespace} ${alarm.MetricName} ${alarm.Statistic || alarm.ExtendedStatistic || ''} `
        + `${alarm.ComparisonOperator} ${alarm.Threshold} over ${alarm.EvaluationPeriods} × ${alarm.Period} s · `
        + (alarm.Dimensions || []).map((item) => `${item.Name}=${tail(item.Value)}`).join(', ')),
      h('p', null, alarm.StateReason || ''),
      histories[index].length ? table(['Time', 'Change'], histories[index].map((item) => [date(timestampMs(item.Timestamp) / 1000), item.HistorySummary]), { caption: `History of ${alarm.AlarmName}` })
        : h('p', { class: 'muted' }, 'No state changes yet.'))))
      : h('p', null, 'No alarms. ', h('code', null, 'aws cloudwatch put-metric-alarm'), ' makes one.'),
    h('h2', null, 'Metrics'),
    h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'metric-range' }, 'Range'),
      h('select', { id: 'metric-range', onchange: (event) => { location.hash = `#/alarms?range=${event.target.value}`; } },
        Object.keys(RANGES).map((key) => h('option', { value: key, selected: key === range }, `last ${key.replace('h', ' h')}`))))),
    timeScale !== 1 ? h('p', { class: 'muted' }, `Metric time runs ${timeScale}× faster than the wall clock (--time-scale).`) : null,
    sets.length ? sets.map((dimensions, index) => h('section', { 'aria-label': dimensionLabel(dimensions) },
      h('h3', null, dimensionLabel(dimensions)),
      h('div', { class: 'minis' },
        chart(`d${index}m0`, `Executions started per ${period / 60} min`, ''),
        chart(`d${index}m1`, `Executions failed per ${period / 60} min`, ''),
        chart(`d${index}m2`, 'Average execution time', ' ms'))))
      : h('p', { class: 'muted' }, 'No executions in the metrics yet.'));
}
