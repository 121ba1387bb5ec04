// The task timeline: one row per task, a lighter segment from created to started (waiting)
// and a solid one from started to stopped (running), coloured by state. Drawn with plain DOM
// rather than a chart library: a Gantt is positioned boxes, and 1,000 rows of divs render in
// well under a second with nothing to vendor (positions are set through the CSSOM, which the
// page's CSP does not need 'unsafe-inline' for).
import { duration, h, utc } from './dom.js';

const pct = (t, t0, t1) => (100 * (t - t0)) / Math.max(1, t1 - t0);
const ms = (iso) => (iso ? Date.parse(iso) : null);

/** Earlier attempts of a step that ran again later are marked as retried. A step is its name
 * (HealthOmics names carry their shard) and, for Tencent, its scatter index: shards of one call
 * share a name and are not retries of each other. */
function retried(tasks) {
  const step = (t) => `${t.name}\u0000${t.scatterIndex ?? ''}`;
  const lastIndex = new Map();
  tasks.forEach((t, i) => lastIndex.set(step(t), i));
  return new Set(tasks.filter((t, i) => lastIndex.get(step(t)) !== i).map((t) => t.id));
}

/** The newest instant in the data: an unfinished task is drawn up to it, not to this browser's
 * clock (which may be far from the upstream's: an emulator's, or a skewed machine's). */
function latest(tasks) {
  const all = tasks.flatMap((t) => [t.creationTime, t.startedAt, t.stoppedAt]).map(ms);
  return Math.max(...all.filter((v) => v != null));
}

export function gantt(tasks, { onSelect, now = latest(tasks) } = {}) {
  const starts = tasks.map((t) => ms(t.creationTime) ?? ms(t.startedAt)).filter((v) => v != null);
  const stops = tasks.map((t) => ms(t.stoppedAt) ?? (t.startedAt ? now : null)).filter((v) => v != null);
  const t0 = Math.min(...starts), t1 = Math.max(...stops, t0 + 1000);
  const width = (a, b) => (100 * (b - a)) / Math.max(1, t1 - t0);
  const again = retried(tasks);
  const rows = tasks.map((t) => {
    const created = ms(t.creationTime), started = ms(t.startedAt), stopped = ms(t.stoppedAt) ?? (started ? now : null);
    const track = h('div', { class: 'track' });
    if (created != null && started != null && started > created) {
      const wait = h('span', { class: 'wait' });
      wait.style.left = `${pct(created, t0, t1)}%`;
      wait.style.width = `${width(created, started)}%`;
      track.append(wait);
    }
    if (started != null) {
      const bar = h('span', { class: `run st-${t.state || 'UNKNOWN'}`, 'data-bar': t.id });
      bar.style.left = `${pct(started, t0, t1)}%`;
      bar.style.width = `${Math.max(0.3, width(started, stopped))}%`;
      track.append(bar);
    }
    const marks = [t.state === 'FAILED' ? h('span', { class: 'mark failed' }, '✕ failed ') : '',
      again.has(t.id) ? h('span', { class: 'mark retried' }, '↻ retried ') : ''];
    const tip = `${t.name}: ${t.state}` + (t.startedAt ? `, started ${utc(t.startedAt)}` : '')
      + (t.stoppedAt ? `, stopped ${utc(t.stoppedAt)}` : '') + `, ran ${duration(started && (stopped - started) / 1000)}`;
    return h('li', { class: 'task', 'data-task': t.id, 'data-state': t.state, title: tip },
      h('button', { type: 'button', class: 'label', onclick: () => onSelect && onSelect(t) }, marks, t.name || t.id,
        t.scatterIndex != null ? ` [${t.scatterIndex}]` : ''),
      track);
  });
  const axis = h('div', { class: 'axis', 'aria-hidden': 'true' },
    h('span', {}, new Date(t0).toLocaleTimeString()), h('span', {}, duration((t1 - t0) / 1000)),
    h('span', {}, new Date(t1).toLocaleTimeString()));
  return h('figure', { class: 'gantt' },
    h('figcaption', {}, `${tasks.length} tasks, ${duration((t1 - t0) / 1000)} from first created to last stopped`),
    axis, h('ol', { class: 'rows' }, rows));
}
