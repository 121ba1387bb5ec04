// Run: its facts and estimated cost, its tasks as a Gantt timeline, and for a chosen task its
// usage against what it reserved, its cost, a right-sizing recommendation and its log.
import { gql } from '../api.js';
import { badge, duration, empty, h, loading, span, time, usd, warnings } from '../dom.js';
import { gantt } from '../gantt.js';
import { logPane } from '../logs.js';
import { link } from '../router.js';

const RUN = `query Run($id: ID!) {
  node(id: $id) {
    id
    ... on Run { nativeId name status state source provider createdAt startedAt stoppedAt batch { id name } }
    ... on HealthOmicsRun { workflowId workflowName statusMessage failureReason
      cost { totalUsd computeUsd storageUsd complete reason } }
  }
}`;
const TASKS = `query Tasks($id: ID!, $after: String) {
  node(id: $id) { ... on Run { tasks(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name status state startedAt stoppedAt
      ... on HealthOmicsTask { creationTime instanceType }
      ... on TencentRunCall { creationTime: submitTime scatterIndex } } }
  } } }
}`;
const DETAIL = `query Task($id: ID!) {
  node(id: $id) { id ... on Task { name state provider startedAt stoppedAt }
    ... on HealthOmicsTask { instanceType cpus memory gpus statusMessage failureReason
      usage { cpusReserved cpusMaximum cpusAverage memoryReservedGiB memoryMaximumGiB memoryAverageGiB cpuUtilization memoryUtilization }
      cost { usd billedSeconds reason }
      recommendation { instanceType usd savingsUsd reason } } }
}`;
export const SETTLED = new Set(['SUCCEEDED', 'PARTIALLY_SUCCEEDED', 'FAILED', 'CANCELLED', 'ABORTED', 'TIMED_OUT', 'DELETED']);
const MAX_PAGES = 100;

export async function loadTasks(id) {
  const tasks = [];
  let errors = [], after = null, known = true;
  for (let i = 0; i < MAX_PAGES; i += 1) {
    const answer = await gql(TASKS, { id, after });
    errors = errors.concat(answer.errors);
    const conn = answer.data.node && answer.data.node.tasks;
    if (!conn) { known = false; break; }
    tasks.push(...conn.edges.map((e) => e.node));
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  return { tasks: known ? tasks : null, errors };
}

export function facts(run) {
  const cost = run.cost;
  return h('dl', { class: 'facts' },
    h('dt', {}, 'State'), h('dd', { 'data-field': 'state' }, badge(run.state), ` ${run.status || ''}`),
    h('dt', {}, 'Source'), h('dd', {}, `${run.source} (${run.provider.toLowerCase()})`),
    run.workflowName || run.workflowId ? [h('dt', {}, 'Workflow'), h('dd', {}, run.workflowName || run.workflowId)] : '',
    run.batch ? [h('dt', {}, 'Batch'), h('dd', {}, h('a', { href: link('batch', [run.batch.id]) }, run.batch.name || run.batch.id))] : '',
    h('dt', {}, 'Created'), h('dd', {}, time(run.createdAt)),
    h('dt', {}, 'Started'), h('dd', { 'data-field': 'started' }, time(run.startedAt)),
    h('dt', {}, 'Stopped'), h('dd', { 'data-field': 'stopped' }, time(run.stoppedAt)),
    h('dt', {}, 'Duration'), h('dd', {}, run.stoppedAt ? duration(span(run.startedAt, run.stoppedAt)) : 'not stopped yet'),
    run.failureReason || run.statusMessage ? [h('dt', {}, 'Message'), h('dd', {}, run.failureReason || run.statusMessage)] : '',
    cost ? [h('dt', {}, 'Cost'), h('dd', { class: 'cost' }, cost.totalUsd != null
      ? `${usd(cost.totalUsd)} (compute ${usd(cost.computeUsd)}, storage ${usd(cost.storageUsd)})${cost.complete ? '' : ', partial'}, estimate`
      : `not known${cost.reason ? `: ${cost.reason}` : ''}`)] : '');
}

function savings(v) {
  if (!v) return '';
  return v > 0 ? `, saves ${usd(v)}` : `, costs ${usd(-v)} more (keeps the peaks in reach)`;
}

function meter(label, used, reserved, unit) {
  if (reserved == null) return [h('dt', {}, label), h('dd', { class: 'muted' }, 'not reported')];
  const ratio = used != null ? used / reserved : null;
  return [h('dt', {}, label), h('dd', {},
    h('meter', { min: 0, max: 1, value: ratio ?? 0, 'aria-label': `${label} used of reserved` }),
    ` ${used ?? '—'} of ${reserved} ${unit} reserved`, ratio != null ? ` (${Math.round(100 * ratio)}%)` : '')];
}

async function detail(task, into) {
  into.replaceChildren(h('h2', { tabindex: -1 }, `Task ${task.name || task.id}`), loading('the task'));
  into.querySelector('h2').focus();
  const { data, errors } = await gql(DETAIL, { id: task.id });
  const t = data.node || task;
  const u = t.usage, rec = t.recommendation, cost = t.cost;
  into.lastChild.remove();
  into.append(warnings(errors) || '', h('dl', { class: 'facts usage' },
    h('dt', {}, 'State'), h('dd', {}, badge(t.state)),
    h('dt', {}, 'Instance'), h('dd', {}, t.instanceType || '—'),
    h('dt', {}, 'Ran'), h('dd', {}, time(t.startedAt), ' → ', time(t.stoppedAt), ` (${duration(span(t.startedAt, t.stoppedAt))})`),
    u ? [meter('CPU', u.cpusMaximum, u.cpusReserved, 'vCPU'), meter('Memory', u.memoryMaximumGiB, u.memoryReservedGiB, 'GiB')]
      : [h('dt', {}, 'Usage'), h('dd', { class: 'muted' }, t.provider === 'HEALTHOMICS'
        ? 'not known yet (the run manifest comes when the run ends)' : 'not reported by this provider')],
    h('dt', {}, 'Cost'), h('dd', {}, cost ? (cost.usd != null ? `${usd(cost.usd)} estimate` : cost.reason || '—') : '—'),
    h('dt', {}, 'Right-size'), h('dd', { class: 'recommendation' }, rec
      ? `${rec.instanceType || 'keep'}${rec.usd != null ? ` at ${usd(rec.usd)}` : ''}${savings(rec.savingsUsd)}${rec.reason ? ` (${rec.reason})` : ''}`
      : '—')),
  logPane(t.id));
}

export function timeline(tasks, into, detailSlot) {
  if (tasks === null) return into.replaceChildren(empty('This provider reports no task breakdown.'));
  if (!tasks.length) return into.replaceChildren(empty('No tasks yet.'));
  into.replaceChildren(gantt(tasks, { onSelect: (t) => detail(t, detailSlot) }));
}

export async function render(frame, r) {
  const id = r.args[0];
  frame.append(h('h1', { tabindex: -1 }, 'Run'), loading('the run'));
  const [{ data, errors }, tasks] = await Promise.all([gql(RUN, { id }), loadTasks(id)]);
  performance.mark('ui:run-data');
  frame.lastChild.remove();
  const run = data.node;
  if (!run) {
    frame.append(warnings(errors) || empty('No such run.'));
    return;
  }
  frame.querySelector('h1').textContent = `Run ${run.name || run.nativeId}`;
  const slot = h('div', { class: 'timeline' });
  const detailSlot = h('section', { class: 'detail', 'aria-label': 'Selected task' },
    h('p', { class: 'muted' }, 'Choose a task in the timeline to see its usage, cost and log.'));
  frame.append(facts(run),
    SETTLED.has(run.state) ? '' : h('p', {}, h('a', { href: link('live', [run.id]) }, 'Watch it live')),
    warnings(errors.concat(tasks.errors)) || '', h('h2', {}, 'Tasks'), slot, detailSlot);
  timeline(tasks.tasks, slot, detailSlot);
  // After the next frame is laid out and painted (benchmarks/ui.py reads both marks).
  requestAnimationFrame(() => setTimeout(() => performance.mark('ui:run-painted')));
}
