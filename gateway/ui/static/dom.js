// Building blocks for every view. Elements are made from text only (textContent through
// document.createTextNode): no string is ever parsed as HTML, so an upstream string (a run name, a log
// line, a tag) can never become markup. No framework: the views are small, and a vendored
// one would be one more pinned asset for what a dozen lines do here.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  add(el, children);
  return el;
}

export function add(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const LOCAL = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function utc(iso) {
  return new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** A time in the viewer's zone, UTC on hover. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: utc(iso) }, LOCAL.format(new Date(iso)));
}

export function duration(seconds) {
  if (seconds == null || !isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d) return `${d}d ${hr}h`;
  if (hr) return `${hr}h ${m}m`;
  return m ? `${m}m ${sec}s` : `${sec}s`;
}

export function span(startIso, stopIso) {
  if (!startIso) return null;
  const stop = stopIso ? Date.parse(stopIso) : Date.now();
  return (stop - Date.parse(startIso)) / 1000;
}

export const usd = (v) => (v == null ? '—' : `$${Number(v).toFixed(v < 1 ? 4 : 2)}`);

export function badge(state) {
  const s = state || 'UNKNOWN';
  return h('span', { class: `badge st-${s}` }, s.replaceAll('_', ' ').toLowerCase());
}

/** Segments sized by count, with a text legend so the numbers are read, not only seen. */
export function stateBar(counts, label, href = null) {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  const total = entries.reduce((a, [, n]) => a + n, 0);
  const summary = entries.map(([s, n]) => `${s}: ${n}`).join(', ') || 'no runs';
  const bar = h('div', { class: 'bar', role: 'img', 'aria-label': `${label}: ${summary}` });
  for (const [s, n] of entries) {
    const seg = h('span', { class: `seg st-${s}`, title: `${s}: ${n}` });
    seg.style.flexGrow = String(n);
    bar.append(seg);
  }
  const legend = h('ul', { class: 'legend' }, entries.map(([s, n]) =>
    h('li', { 'data-state': s, 'data-count': n }, href
      ? h('a', { href: href(s) }, badge(s), ' ', h('strong', {}, n))
      : [badge(s), ' ', h('strong', {}, n)])));
  return h('div', { class: 'statebar', 'data-total': total }, bar, legend);
}

export const loading = (what) => h('p', { class: 'state-msg', role: 'status' }, `Loading ${what}…`);
export const empty = (what) => h('p', { class: 'state-msg empty' }, what);

export function failure(err) {
  const code = err && err.code ? ` (${err.code})` : '';
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, 'Error'), code, ': ',
    String((err && err.message) || err));
}

/** Partial answers: the data that came, and what did not, said next to it. */
export function warnings(errors) {
  if (!errors || !errors.length) return null;
  return h('ul', { class: 'warnings', role: 'note' }, errors.map((e) =>
    h('li', {}, (e.path ? e.path.join('.') + ': ' : ''), e.message,
      e.extensions && e.extensions.code ? ` (${e.extensions.code})` : '')));
}

/** A table that scrolls sideways on a phone and can be scrolled from the keyboard. */
export function scroller(label, table) {
  return h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': label }, table);
}
