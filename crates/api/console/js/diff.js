// A side-by-side line diff of two texts (a longest common subsequence of lines; definitions are
// at most a few thousand lines, so the quadratic table is small).

import { h } from './dom.js';

export function diffLines(left, right) {
  const a = left.split('\n');
  const b = right.split('\n');
  const n = a.length;
  const m = b.length;
  if (n * m > 16_000_000) {
    return a.map((line, index) => ({ kind: line === b[index] ? 'same' : 'change', left: line, right: b[index] ?? '', l: index + 1, r: index + 1 }));
  }
  const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const rows = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      rows.push({ kind: 'same', left: a[i], right: b[j], l: i + 1, r: j + 1 });
      i += 1;
      j += 1;
    } else if (j < m && (i === n || lengths[i][j + 1] >= lengths[i + 1][j])) {
      rows.push({ kind: 'add', left: '', right: b[j], l: null, r: j + 1 });
      j += 1;
    } else {
      rows.push({ kind: 'del', left: a[i], right: '', l: i + 1, r: null });
      i += 1;
    }
  }
  return rows;
}

export function diffView(left, right, { leftTitle, rightTitle }) {
  const rows = diffLines(left, right);
  const changed = rows.filter((row) => row.kind !== 'same').length;
  return h('div', null,
    h('p', { class: 'muted' }, changed ? `${changed} line${changed === 1 ? '' : 's'} differ` : 'The definitions are the same.'),
    h('div', { class: 'diff', role: 'region', 'aria-label': `Diff of ${leftTitle} and ${rightTitle}`, tabindex: 0 },
      h('table', null,
        h('colgroup', null, h('col', { class: 'ln-col' }), h('col'), h('col', { class: 'ln-col' }), h('col')),
        h('thead', null, h('tr', null, h('th', { colspan: 2, scope: 'col' }, leftTitle), h('th', { colspan: 2, scope: 'col' }, rightTitle))),
        h('tbody', null, rows.map((row) => h('tr', { class: `row-${row.kind}` },
          h('td', { class: 'ln' }, row.l ?? ''),
          h('td', { class: row.kind === 'del' ? 'del' : null }, row.left),
          h('td', { class: 'ln' }, row.r ?? ''),
          h('td', { class: row.kind === 'add' ? 'add' : null }, row.right)))))));
}
