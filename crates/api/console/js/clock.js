// The server's clocks. Under `--time-scale N` the metric clock (CloudWatch timestamps) and each
// deployment's clock run N times faster than the wall clock; the console draws on them and
// converts between them here. With N = 1 they are all the wall clock.

import { config } from '../config.js';

// When config.js was answered, by the browser's clock: its resource timing, else now.
function answeredAt() {
  const url = new URL('../config.js', import.meta.url).href;
  const [entry] = performance.getEntriesByName(url);
  return entry && entry.responseStart ? performance.timeOrigin + entry.responseStart : Date.now();
}

const loadedAt = answeredAt();
export const timeScale = config.timeScale || 1;

// Now on the metric clock, in ms.
export function metricNow() {
  return config.metricNowMs + (Date.now() - loadedAt) * timeScale;
}

// A metric-clock time as wall-clock ms.
export function metricToWall(ms) {
  return config.wallNowMs + (ms - config.metricNowMs) / timeScale;
}

// A wall-clock time on the metric clock.
export function wallToMetric(ms) {
  return config.metricNowMs + (ms - config.wallNowMs) * timeScale;
}

// Now on the server's wall clock.
export function wallNow() {
  return config.wallNowMs + (Date.now() - loadedAt);
}
