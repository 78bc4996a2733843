// Small SVG charts on a time axis: step lines (traffic shares), stacked bars (executions and
// failures per minute), state bands (alarms), and vertical markers (deployment steps).

import { h, s } from './dom.js';

const RIGHT = 16;

function clock(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

function ticks(from, to, count) {
  const step = (to - from) / count;
  return Array.from({ length: count + 1 }, (_, index) => from + index * step);
}

// `options`: from, to (ms); lines [{ label, class, points: [[ms, value]] }] drawn as steps up
// to `to`; bars [{ label, at, width, parts: [{ value, class }] }]; bands [{ label, segments:
// [{ from, to, state }] }]; markers [{ at, label, class }]; yMax; yUnit; title.
export function timeChart(options) {
  const { from, to, lines = [], bars = [], bands = [], markers = [], yUnit = '', title } = options;
  const WIDTH = options.width ?? 900;
  const LEFT = options.left ?? 150;
  const tickCount = options.ticks ?? 5;
  const plotHeight = options.plotHeight ?? 150;
  const bandHeight = 16;
  const top = 12;
  const height = top + plotHeight + 22 + bands.length * (bandHeight + 6) + 4;
  const span = Math.max(1, to - from);
  const x = (ms) => LEFT + ((ms - from) / span) * (WIDTH - LEFT - RIGHT);
  let yMax = options.yMax;
  if (yMax === undefined) {
    const values = [
      ...lines.flatMap((line) => line.points.map((point) => point[1])),
      ...bars.map((bar) => bar.parts.reduce((sum, part) => sum + part.value, 0)),
    ];
    yMax = Math.max(1, ...values);
  }
  const y = (value) => top + plotHeight - (value / yMax) * plotHeight;
  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': title || 'chart' });
  for (const value of [0, yMax / 2, yMax]) {
    svg.append(s('line', { class: 'grid', x1: LEFT, x2: WIDTH - RIGHT, y1: y(value), y2: y(value) }));
    svg.append(s('text', { x: LEFT - 6, y: y(value) + 4, 'text-anchor': 'end' },
      `${Number.isInteger(value) ? value : value.toFixed(1)}${yUnit}`));
  }
  svg.append(s('line', { class: 'axis', x1: LEFT, x2: WIDTH - RIGHT, y1: y(0), y2: y(0) }));
  ticks(from, to, tickCount).forEach((at, index, all) => {
    const anchor = index === 0 ? 'start' : index === all.length - 1 ? 'end' : 'middle';
    svg.append(s('text', { x: x(at), y: top + plotHeight + 15, 'text-anchor': anchor }, clock(at)));
  });
  for (const bar of bars) {
    let base = 0;
    const left = x(bar.at);
    const width = Math.max(2, x(bar.at + bar.width) - left - 2);
    for (const part of bar.parts) {
      if (!part.value) continue;
      svg.append(s('rect', {
        class: part.class, x: left + 1, width, y: y(base + part.value), height: Math.max(0.5, y(base) - y(base + part.value)),
      }, s('title', null, `${clock(bar.at)} ${bar.label || ''}: ${part.value} ${part.label || ''}`)));
      base += part.value;
    }
  }
  for (const line of lines) {
    if (!line.points.length) continue;
    let d = '';
    line.points.forEach(([at, value], index) => {
      d += index === 0 ? `M ${x(at)} ${y(value)}` : ` H ${x(at)} V ${y(value)}`;
    });
    d += ` H ${x(line.until ?? to)}`;
    svg.append(s('path', { class: line.class, d }, s('title', null, line.label)));
  }
  bands.forEach((band, index) => {
    const top0 = top + plotHeight + 24 + index * (bandHeight + 6);
    svg.append(s('text', { x: LEFT - 6, y: top0 + 12, 'text-anchor': 'end' }, band.label));
    for (const segment of band.segments) {
      const left = x(Math.max(from, segment.from));
      const right = x(Math.min(to, segment.to));
      if (right <= left) continue;
      svg.append(s('rect', { class: `band-${segment.state}`, x: left, y: top0, width: right - left, height: bandHeight },
        s('title', null, `${band.label}: ${segment.state} from ${clock(segment.from)}`)));
    }
  });
  for (const marker of markers) {
    svg.append(s('line', {
      class: marker.class || 'marker', x1: x(marker.at), x2: x(marker.at), y1: top - 4, y2: height - 2,
    }, s('title', null, `${clock(marker.at)} ${marker.label}`)));
  }
  const legend = h('div', { class: 'legend' },
    lines.map((line) => h('span', null, h('span', { 'aria-hidden': 'true', class: `key-${line.class}` }, '▬ '), line.label)),
    options.legend || []);
  return h('figure', { class: 'chart' }, title ? h('figcaption', { class: 'muted' }, title) : null, svg, legend);
}

