// Runs: the cross-cloud table of searchRuns. Filters, order and the page's cursor live in the
// URL; pages already fetched are kept (per filter), so paging back and forth costs no request.
import { gql } from '../api.js';
import { badge, duration, empty, h, loading, scroller, span, time, warnings } from '../dom.js';
import { link } from '../router.js';

const STATES = ['QUEUED', 'STARTING', 'RUNNING', 'STOPPING', 'SUCCEEDED', 'PARTIALLY_SUCCEEDED',
  'FAILED', 'CANCELLED', 'ABORTED', 'TIMED_OUT', 'DELETED', 'UNKNOWN'];
const COLUMNS = [['Name', 'NAME'], ['Source', null], ['State', null], ['Created', 'CREATED_AT'],
  ['Started', 'STARTED_AT'], ['Stopped', 'STOPPED_AT'], ['Duration', 'DURATION']];
const FILTERS = ['source', 'state', 'from', 'to', 'name', 'workflow', 'sort', 'dir', 'size'];
const QUERY = `query Runs($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String, $last: Int, $before: String) {
  sources { name }
  searchRuns(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id nativeId name source provider state status createdAt startedAt stoppedAt } }
  }
}`;

/** Pages seen, by filter, then by how they were reached (`after:<c>`, `before:<c>`, `first`). */
const pages = new Map();
let sources = null;
let last = null; // the page shown last, to link its neighbours once one is fetched

function variables(p) {
  const filter = {};
  if (p.get('source')) filter.sources = [p.get('source')];
  if (p.get('state')) filter.states = [p.get('state')];
  if (p.get('from')) filter.createdAfter = new Date(p.get('from')).toISOString();
  if (p.get('to')) filter.createdBefore = new Date(p.get('to')).toISOString();
  if (p.get('name')) filter.nameContains = p.get('name');
  if (p.get('workflow')) filter.workflow = p.get('workflow');
  const size = Math.min(100, Math.max(1, Number(p.get('size')) || 25));
  const vars = { filter, orderBy: { field: p.get('sort') || 'CREATED_AT', direction: p.get('dir') || 'DESC' } };
  if (p.get('before')) Object.assign(vars, { last: size, before: p.get('before') });
  else Object.assign(vars, { first: size, after: p.get('after') || null });
  return vars;
}

function filterKey(p) { return FILTERS.map((k) => p.get(k) || '').join('\u0000'); }
function pageKey(p) {
  return p.get('before') ? `before:${p.get('before')}` : p.get('after') ? `after:${p.get('after')}` : 'first';
}
function params(p, changes) {
  const out = Object.fromEntries([...p.entries()].filter(([k]) => FILTERS.includes(k)));
  return Object.assign(out, changes);
}

async function fetchPage(p) {
  const store = pages.get(filterKey(p)) || new Map();
  pages.set(filterKey(p), store);
  const key = pageKey(p);
  let page = store.get(key);
  if (!page) {
    const { data, errors } = await gql(QUERY, variables(p));
    sources = data.sources.map((s) => s.name);
    page = { conn: data.searchRuns, errors, via: key.split(':')[0] };
    store.set(key, page);
  }
  // Link this page to the one just shown, both ways, so either button finds it in the store.
  if (last && last.store === store && page.conn && last.page.conn) {
    const a = last.page.conn.pageInfo, b = page.conn.pageInfo;
    if (key === `after:${a.endCursor}` && b.startCursor) store.set(`before:${b.startCursor}`, last.page);
    if (key === `before:${a.startCursor}` && b.endCursor) store.set(`after:${b.endCursor}`, last.page);
  }
  last = { store, page };
  return page;
}

function filterForm(p) {
  const field = (name, label, input) => h('div', { class: 'field' }, h('label', { for: `f-${name}` }, label), input);
  const select = (name, options) => h('select', { id: `f-${name}`, name },
    h('option', { value: '' }, 'any'), options.map((o) => h('option', { value: o, selected: p.get(name) === o }, o)));
  const text = (name, type = 'text') => h('input', { id: `f-${name}`, name, type, value: p.get(name) || '' });
  const form = h('form', { class: 'filters', 'aria-label': 'Filters', onsubmit: (e) => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    location.hash = link('runs', [], params(p, { ...values, after: null, before: null }));
  } },
  field('source', 'Source', select('source', sources || [])),
  field('state', 'State', select('state', STATES)),
  field('from', 'Created from', text('from', 'datetime-local')),
  field('to', 'Created before', text('to', 'datetime-local')),
  field('name', 'Name contains', text('name')),
  field('workflow', 'Workflow', text('workflow')),
  h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Apply'),
    h('a', { href: link('runs') }, 'Clear')));
  return form;
}

function header(p, label, field) {
  if (!field) return h('th', { scope: 'col' }, label);
  const active = (p.get('sort') || 'CREATED_AT') === field;
  const dir = p.get('dir') || 'DESC';
  const next = active && dir === 'DESC' ? 'ASC' : 'DESC';
  const sort = active ? (dir === 'DESC' ? 'descending' : 'ascending') : 'none';
  return h('th', { scope: 'col', 'aria-sort': sort },
    h('a', { href: link('runs', [], params(p, { sort: field, dir: next })), 'data-sort': field },
      label, active ? (dir === 'DESC' ? ' ▼' : ' ▲') : ''));
}

function row(run) {
  return h('tr', { 'data-id': run.id },
    h('td', {}, h('a', { href: link('run', [run.id]) }, run.name || run.nativeId)),
    h('td', {}, run.source), h('td', {}, badge(run.state)),
    h('td', {}, time(run.createdAt)), h('td', {}, time(run.startedAt)), h('td', {}, time(run.stoppedAt)),
    h('td', { class: 'num' }, run.stoppedAt ? duration(span(run.startedAt, run.stoppedAt)) : '—'));
}

export async function render(frame, r) {
  const p = r.params;
  frame.append(h('h1', { tabindex: -1 }, 'Runs'), loading('runs'));
  const page = await fetchPage(p);
  frame.lastChild.remove();
  frame.append(filterForm(p), warnings(page.errors) || '');
  const conn = page.conn;
  if (!conn) return;
  const info = conn.pageInfo;
  const hasPrev = info.hasPreviousPage || page.via === 'after';
  const hasNext = info.hasNextPage || page.via === 'before';
  const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('a', { href: hasPrev ? link('runs', [], params(p, { before: info.startCursor })) : null,
      'aria-disabled': !hasPrev, rel: 'prev', 'data-page': 'prev' }, '← Previous'),
    h('span', { class: 'count', 'data-total': conn.totalCount }, `${conn.totalCount} runs`),
    h('a', { href: hasNext ? link('runs', [], params(p, { after: info.endCursor })) : null,
      'aria-disabled': !hasNext, rel: 'next', 'data-page': 'next' }, 'Next →'));
  if (!conn.edges.length) {
    frame.append(nav, empty('No run matches these filters.'));
    return;
  }
  const table = h('table', { class: 'runs' },
    h('thead', {}, h('tr', {}, COLUMNS.map(([label, field]) => header(p, label, field)))),
    h('tbody', {}, conn.edges.map((e) => row(e.node))));
  frame.append(nav, scroller('Runs', table));
}
