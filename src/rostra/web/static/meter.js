/* Rostra's funding meter, for host pages: one tag where the meter goes,
     <script src="https://comments.example/static/meter.js" data-site="news"
             data-campaign="cmp_..." async></script>
   It fetches the server-rendered meter (/embed/SITE/meter) into a shadow root, so the host's
   CSS cannot break it, then polls the campaign's JSON (ETag: a 304 while nothing changed) and
   fetches the meter again only when its totals moved. Nothing but this server is asked. The
   fragment is parsed inert (DOMParser) and its nodes adopted: no HTML string is ever executed.
   A page that includes the meter on the server (for readers without JavaScript) puts it in a
   <div class="rostra-meter-host"> just before the tag: the script adopts it, fetching nothing. */
(() => {
  'use strict';
  const script = document.currentScript;
  if (!script || !script.dataset.site || !script.dataset.campaign) return;
  const root = new URL(script.src).href.replace(/\/static\/meter\.js(?:[?#].*)?$/, '');
  const site = encodeURIComponent(script.dataset.site);
  const campaign = script.dataset.campaign;
  const locale = script.dataset.locale || document.documentElement.lang || navigator.language || '';
  const every = Math.max(15, Number(script.dataset.refresh) || 30) * 1000;
  const fragment = `${root}/embed/${site}/meter?` + new URLSearchParams({ campaign, locale });
  const json = `${root}/api/v1/sites/${site}/campaigns/${encodeURIComponent(campaign)}`;
  let host = script.previousElementSibling;
  const included = host && host.classList.contains('rostra-meter-host')
    ? host.querySelector('[data-rostra-meter]') : null;
  if (!included) {
    host = document.createElement('div');
    host.className = 'rostra-meter-host';
    script.before(host);
  }
  const kept = [...host.childNodes];
  const shadow = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
  let shown = null;
  if (included && shadow !== host) {
    shadow.append(...kept);
    shown = included.getAttribute('data-state');
  }

  async function load() {
    const answer = await fetch(fragment, { credentials: 'omit' });
    if (!answer.ok) return;
    const parsed = new DOMParser().parseFromString(await answer.text(), 'text/html');
    const meter = parsed.querySelector('[data-rostra-meter]');
    if (!meter) return;
    const nodes = [...parsed.querySelectorAll('link[rel="stylesheet"]'), meter];
    shadow.replaceChildren(...nodes.map((n) => document.importNode(n, true)));
    shown = meter.getAttribute('data-state');
  }

  async function poll() {
    if (document.hidden) return;
    try {
      const answer = await fetch(json, { credentials: 'omit' });
      if (!answer.ok) return;
      const c = await answer.json();
      const state = `${c.raised_minor}:${c.donations}:${c.donors}:${c.version}`;
      if (state !== shown) await load();
    } catch (_) { /* the next poll tries again */ }
  }

  if (!included) load().catch(() => {});
  setInterval(poll, every);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) poll(); });
})();
