// The console's one way to the server: the public API (AWS JSON 1.0 on `POST /`), as every
// other client uses it. When the server has --credentials, each request is signed with SigV4
// here, with the key pair given at sign-in (kept in this tab's sessionStorage only).
//
// SigV4 is written out here because the AWS SDK for JavaScript is a build step and hundreds of
// kilobytes for one algorithm of twenty lines over WebCrypto.

import { config } from '../config.js';
import { wallNow } from './clock.js';

const KEY = 'switchback.credentials';
const encoder = new TextEncoder();

export class ApiError extends Error {
  constructor(type, message, status) {
    super(message || type);
    this.type = type;
    this.status = status;
  }
}

export function credentials() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

export function signIn(accessKeyId, secretAccessKey) {
  sessionStorage.setItem(KEY, JSON.stringify({ accessKeyId, secretAccessKey }));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

export const region = config.region;
export const signingRequired = config.signingRequired;

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function sha256(text) {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmac(key, text) {
  const raw = typeof key === 'string' ? encoder.encode(key) : key;
  const imported = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', imported, encoder.encode(text));
}

// Adds `x-amz-date` and `authorization` to `headers` (lower-case names), for `POST /`.
async function sign(headers, body, pair, service) {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new ApiError('SigningUnavailable',
      'This browser offers no WebCrypto here: open the console on https:// or on localhost to sign requests.', 0);
  }
  // The server's clock, not the browser's: a browser clock minutes off would fail the skew check.
  const now = new Date(wallNow()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = now.slice(0, 8);
  headers['x-amz-date'] = now;
  const signed = { ...headers, host: location.host };
  const names = Object.keys(signed).sort();
  const canonical = [
    'POST', '/', '',
    ...names.map((name) => `${name}:${String(signed[name]).trim()}`), '',
    names.join(';'),
    await sha256(body),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', now, scope, await sha256(canonical)].join('\n');
  let key = await hmac(`AWS4${pair.secretAccessKey}`, day);
  for (const part of [region, service, 'aws4_request']) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${pair.accessKeyId}/${scope}, ` +
    `SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

let requests = 0;
export function requestCount() {
  return requests;
}

async function call(target, input, service) {
  const body = JSON.stringify(input ?? {});
  const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target };
  if (service === 'monitoring') headers['x-amzn-query-mode'] = 'true';
  const pair = credentials();
  if (pair) await sign(headers, body, pair, service);
  requests += 1;
  let response;
  try {
    response = await fetch('/', { method: 'POST', headers, body, credentials: 'omit' });
  } catch (error) {
    throw new ApiError('NetworkError', `The server did not answer: ${error.message}`, 0);
  }
  const text = await response.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError('InvalidResponse', `The server answered HTTP ${response.status} with a body that is not JSON`, response.status);
  }
  if (!response.ok) {
    const type = String(data.__type || response.headers.get('x-amzn-query-error') || `HTTP ${response.status}`)
      .split('#').pop().split(';')[0];
    throw new ApiError(type, data.message || data.Message || '', response.status);
  }
  return data;
}

// Step Functions.
export const sfn = (operation, input) => call(`AWSStepFunctions.${operation}`, input, 'states');
// Switchback's own operations (deployments).
export const switchback = (operation, input) => call(`Switchback.${operation}`, input, 'states');
// The CloudWatch subset.
export const cloudwatch = (operation, input) => call(`GraniteServiceVersion20100801.${operation}`, input, 'monitoring');

// Every item of a paginated list, up to `limit` items.
export async function all(client, operation, input, key, { limit = 10000, token = 'nextToken', pageSize = 1000 } = {}) {
  const items = [];
  let next;
  do {
    const request = { ...input };
    if (pageSize) request[token === 'nextToken' ? 'maxResults' : 'MaxRecords'] = pageSize;
    if (next) request[token === 'nextToken' ? 'nextToken' : 'NextToken'] = next;
    const page = await client(operation, request);
    items.push(...(page[key] || []));
    next = page[token === 'nextToken' ? 'nextToken' : 'NextToken'];
  } while (next && items.length < limit);
  const kept = items.slice(0, limit);
  kept.truncated = Boolean(next) || items.length > limit;
  return kept;
}
