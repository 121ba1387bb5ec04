// Hash routes: `#/<view>/<arg>…?<filters>`. A view's URL is shareable and keeps its filters.

export function route() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const [name, ...args] = path.split('/').filter(Boolean);
  return {
    name: name || 'overview',
    args: args.map(decodeURIComponent),
    params: new URLSearchParams(query || ''),
  };
}

export function link(name, args = [], params = {}) {
  const path = [name, ...args.map(encodeURIComponent)].join('/');
  const kept = Object.entries(params).filter(([, v]) => v != null && v !== '');
  const qs = new URLSearchParams(kept).toString();
  return `#/${path}${qs ? '?' + qs : ''}`;
}
