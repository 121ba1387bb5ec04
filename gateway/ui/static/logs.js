// A task's log, paged both ways: it opens on the newest lines and loads earlier or later ones
// on request (the connection's before/after cursors wrap CloudWatch's own tokens).
import { gql } from './api.js';
import { failure, h, time } from './dom.js';

const PAGE_FIELDS = `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { timestamp message } }`;
// A HealthOmics task's CloudWatch stream; a Tencent call's stdout (GetRunJobLog).
const QUERY = `query Log($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) {
    ... on HealthOmicsTask { logs(first: $first, after: $after, last: $last, before: $before) { ${PAGE_FIELDS} } }
    ... on TencentRunCall { logs: stdoutLog(first: $first, after: $after, last: $last, before: $before) { ${PAGE_FIELDS} } }
  }
}`;
const PAGE = 50;

export function logPane(taskId) {
  const lines = h('ol', { class: 'log-lines' });
  const status = h('p', { class: 'muted', role: 'status' }, 'Loading the log…');
  const earlier = h('button', { type: 'button', disabled: true, 'data-log': 'earlier' }, 'Earlier lines');
  const later = h('button', { type: 'button', disabled: true, 'data-log': 'later' }, 'Later lines');
  let first = null, last = null;

  const line = (e) => h('li', {}, time(e.node.timestamp), ' ', h('span', { class: 'msg' }, e.node.message));

  async function page(vars, where) {
    earlier.disabled = later.disabled = true;
    try {
      const { data, errors } = await gql(QUERY, { id: taskId, ...vars });
      const conn = data.node && data.node.logs;
      if (!conn) {
        status.replaceChildren(errors.length ? errors.map((e) => e.message).join('; ') : 'No log for this task.');
        return;
      }
      const items = conn.edges.map(line);
      if (where === 'before') lines.prepend(...items); else lines.append(...items);
      const info = conn.pageInfo;
      if (where !== 'after' || first === null) first = { cursor: info.startCursor, more: info.hasPreviousPage };
      if (where !== 'before' || last === null) last = { cursor: info.endCursor, more: info.hasNextPage };
      if (where === 'before' && !conn.edges.length) first.more = false;
      earlier.disabled = !(first.more && first.cursor);
      later.disabled = !last.cursor;
      status.textContent = `${lines.children.length} lines shown`;
    } catch (err) {
      status.replaceChildren(failure(err));
    }
  }
  earlier.addEventListener('click', () => page({ last: PAGE, before: first.cursor }, 'before'));
  later.addEventListener('click', () => page({ first: PAGE, after: last.cursor }, 'after'));
  page({ last: PAGE }, 'tail');
  return h('section', { class: 'log', 'aria-label': 'Task log' }, h('h3', {}, 'Log'),
    h('div', { class: 'log-nav' }, earlier, later), status,
    h('div', { class: 'log-box', role: 'log', tabindex: 0, 'aria-label': 'Log lines' }, lines));
}
