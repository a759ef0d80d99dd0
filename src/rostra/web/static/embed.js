/* Rostra's embed script: one <script> tag shows a comment thread and makes it interactive.
 *
 * It shows the server-rendered thread fragment (fetched, or adopted when the page already holds
 * it) inside a shadow root, so the host page's CSS cannot break it, and enhances it without page
 * reloads: posting and replying, editing and deleting one's own comments, votes, reports to the
 * moderators, sorting and paging. Every piece of HTML it inserts comes from the server's own
 * renderer; text it makes itself goes in through textContent, never through concatenated markup.
 *
 * Hand-written ES2020 with no build step and no dependencies; a test keeps it under 10 KB gzipped.
 */
(() => {
  'use strict';
  const script = document.currentScript;
  const ds = script && script.dataset;
  if (!ds || !ds.rostraSite || !ds.rostraThread) return;
  const site = ds.rostraSite;
  const thread = ds.rostraThread;
  // Rostra lives wherever this script came from, path prefix included (…/static/embed.js).
  const root = new URL('..', script.src).href.replace(/\/$/, '');
  const api = `${root}/api/v1/sites/${encodeURIComponent(site)}`;
  const pageLang = document.documentElement.lang || navigator.language || '';
  const lang = pageLang.split('-')[0].toLowerCase();

  // English fallbacks; the server's translations arrive in the fragment's data-rostra-i18n.
  const EN = {
    edit: 'Edit',
    delete: 'Delete',
    save: 'Save',
    cancel: 'Cancel',
    confirm: 'Confirm delete',
    sending: 'Sending…',
    replying: 'Replying to %(name)s',
    deleted: 'This comment was deleted.',
    posted: 'Your comment was posted.',
    saved: 'Your changes were saved.',
    removed: 'Your comment was deleted.',
    loaded: 'More comments were loaded.',
    editLabel: 'Edit your comment',
    anyway: 'Post anyway',
    failed: 'The comments could not be reached. Please try again.',
    notHere: 'Comments are not available on this page.',
    preview: 'Preview',
    why: 'Why are you reporting this comment?',
    note: 'Note for the moderators (optional)',
    send: 'Send report',
    thanks: 'Thank you. The moderators will look at it.',
    voted: 'Vote recorded. Score %(score)s.',
    unvoted: 'Vote withdrawn. Score %(score)s.',
    reasons: [],
  };
  // Its messages for a thread it could not fetch (then no fragment brings the reader's
  // language): the server fills this in as it serves the script, per language it offers.
  const EARLY = {};
  let T = { ...EN, ...(EARLY[lang] || EARLY['*']) };

  // The reader token proves authorship. It is kept per Rostra server and site, since one host
  // page origin may embed several sites; storage can be off, and then it lives in memory only.
  const key = `rostra:${root}:${site}`;
  let token = null;
  try {
    token = localStorage.getItem(key);
  } catch (e) {}
  const keep = (value) => {
    token = value;
    try {
      value ? localStorage.setItem(key, value) : localStorage.removeItem(key);
    } catch (e) {}
  };

  // One nonce per draft: a double submit or a retry after a lost response repeats it, and the
  // server refuses the repeat instead of posting the comment twice. A success starts a new one.
  const hex = (b) => b.toString(16).padStart(2, '0');
  const newNonce = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), hex).join('');
  let nonce = newNonce();
  const bodies = new Map(); // Markdown source of comments this page posted or edited

  let host; // the element whose shadow root holds the thread
  let sec; // the live <section class="rostra">
  let form; // the one comment form; it moves under a comment to reply and back
  let status; // the live region

  const el = (tag, cls, text) => {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  };
  const button = (cls, text, type = 'button') => Object.assign(el('button', cls, text), { type });
  // Server-rendered HTML only: it is parsed inertly, so nothing in it runs.
  const parse = (html) => Object.assign(el('template'), { innerHTML: html }).content;
  const $ = (sel, from = sec) => from.querySelector(sel);
  const $$ = (sel, from = sec) => [...from.querySelectorAll(sel)];
  const card = (li) => $(':scope>.rostra-card', li);
  const byId = (id) => $$('li.rostra-comment').find((li) => li.dataset.id === id);
  const sort = () => ($('.rostra-sort [aria-current]') || { dataset: {} }).dataset.sort || 'newest';

  class Problem extends Error {}

  async function request(url, init) {
    try {
      return await fetch(url, init);
    } catch (e) {
      throw new Problem((await refused()) ? T.notHere : T.failed);
    }
  }

  // Why a request failed. If a small API read is readable, this origin is allowed: the network
  // failed. If the browser refuses it too while the server answers a plain (no-cors) request,
  // the server left out CORS headers: this page's origin is not one the site allows (or there
  // is no such site). The reader is told the comments are not here; the site's owner, in the
  // console, what to run (--origin replaces the list, so it names the ones the site has too).
  let warned;
  async function refused() {
    try {
      await fetch(`${api}/counts?thread=${encodeURIComponent(thread)}`);
      return false;
    } catch (e) {}
    try {
      await fetch(`${root}/static/rostra.css`, { mode: 'no-cors', cache: 'no-store' });
    } catch (e) {
      return false; // the server is out of reach: that is all we know
    }
    const o = location.origin;
    warned ||= !!console.error(
      `Rostra: site "${site}" on ${root} does not accept pages at ${o} (or does not exist). ` +
        `Allow them with: rostra site update ${site} --origin ${o} ` +
        '--origin <each origin it already allows> (see rostra site list).',
    );
    return true;
  }

  // A JSON API call; problem+json errors become a Problem carrying the server's own words.
  async function call(method, path, body, again) {
    const url = new URL(api + path);
    url.searchParams.set('lang', (sec && sec.lang) || lang);
    const headers = {};
    if (token) headers['X-Rostra-Reader'] = token;
    if (body) headers['Content-Type'] = 'application/json';
    const r = await request(url, { method, headers, body: body && JSON.stringify(body) });
    const data = await r.json().catch(() => ({}));
    if (r.ok) return data;
    if (r.status === 401 && token && data.code !== 'token-missing' && !again) {
      // The token is no good any more (expired, or the server's key changed): start afresh.
      keep(null);
      if (method === 'POST' || method === 'PUT') {
        if (method === 'PUT' || path.endsWith('/reports')) await ensureToken();
        return call(method, path, body, 1);
      }
    }
    const { field, code } = data;
    throw Object.assign(new Problem(data.detail || T.failed), { field, code });
  }

  async function ensureToken() {
    if (!token) keep((await call('POST', '/readers')).token);
  }

  async function fragment(params) {
    const url = new URL(`${root}/embed/${encodeURIComponent(site)}/thread`);
    url.search = new URLSearchParams({ thread, lang: (sec && sec.lang) || lang, ...params });
    const r = await request(url);
    const found = r.ok && $('section.rostra', parse(await r.text()));
    if (!found) throw new Problem(T.failed);
    return found;
  }

  const say = (text, bad) => {
    status.textContent = text;
    status.classList.toggle('rostra-bad', !!bad);
  };

  const focus = (n) => {
    if (!n.matches('a,button,input,textarea')) {
      n.tabIndex = -1;
      n.addEventListener('blur', () => n.removeAttribute('tabindex'), { once: true });
    }
    n.focus();
  };

  // Show a refusal next to the text it is about; anything else is a bug, and is left to surface.
  // The civility nudge (nothing was saved) keeps the text to revise, and offers "Post anyway".
  const text = (f) => f.elements.body || f.elements.note; // the form's text: comment or note

  function showError(f, err) {
    if (!(err instanceof Problem)) throw err;
    const ta = text(f);
    let p = $('.rostra-error', f);
    if (!p) {
      p = el('p', 'rostra-error');
      p.setAttribute('role', 'alert');
      ta.after(p);
    }
    p.id = `${f.id}-error`;
    p.textContent = err.message;
    ta.setAttribute('aria-invalid', err.field === ta.name);
    describe(f);
    if (err.code === 'civility-nudge') {
      $('[type=submit]', f).after(button('rostra-anyway', T.anyway, 'submit'));
      focus(ta);
    }
  }

  function clearError(f) {
    const p = $('.rostra-error', f);
    if (p) p.remove();
    const a = $('.rostra-anyway', f);
    if (a && a.matches(':focus')) $('[type=submit]', f).focus(); // it goes: keep focus nearby
    if (a) a.remove();
    text(f).removeAttribute('aria-invalid');
    describe(f);
  }

  // The text box is described by what is said about it: whom it replies to, and any error.
  function describe(f) {
    const ids = $$(':scope>.rostra-replying,.rostra-error', f).map((n) => n.id);
    const ta = text(f);
    if (ids.length) ta.setAttribute('aria-describedby', ids.join(' '));
    else ta.removeAttribute('aria-describedby');
  }

  // Run one action at a time per form or button (a second click while it runs does nothing),
  // showing "Sending…" on labelled buttons. Buttons stay focusable, so focus is never lost.
  async function busy(node, work, label) {
    if (node.dataset.busy) return;
    const text = node.textContent;
    const isButton = node.localName === 'button';
    node.dataset.busy = 1;
    if (isButton) node.setAttribute('aria-disabled', 'true');
    if (label) node.textContent = T.sending;
    try {
      await work();
    } finally {
      delete node.dataset.busy;
      if (isButton) node.removeAttribute('aria-disabled');
      if (label) node.textContent = text;
    }
  }

  // Mark the reader's own comments and give them Edit and Delete: the server's fragment is shared
  // by every reader (and cached), so it shows those buttons to no one.
  function own(li, mine) {
    li.toggleAttribute('data-mine', mine);
    const bar = $(':scope>.rostra-actions', card(li)); // a tombstone has none
    const had = bar && $('.rostra-edit', bar);
    if (!bar || !mine === !had) return;
    if (had) return had.remove(), $('.rostra-delete', bar).remove();
    const id = li.dataset.id;
    const edit = button('rostra-edit', T.edit);
    const del = button('rostra-delete', T.delete);
    edit.dataset.edit = del.dataset.delete = id;
    $('.rostra-report', bar).before(edit, del);
  }

  // Mark the reader's own comments and their votes.
  async function markMine() {
    let state = { comments: [], votes: {} };
    if (token) {
      try {
        state = await call('GET', `/me?thread=${encodeURIComponent(thread)}`);
      } catch (e) {}
    }
    const mine = new Set(state.comments);
    for (const li of $$('li.rostra-comment')) {
      own(li, mine.has(li.dataset.id));
      pressed(li, state.votes[li.dataset.id] || 0);
    }
  }

  const pressed = (li, value) => {
    for (const b of $$('.rostra-vote button', card(li))) {
      b.setAttribute('aria-pressed', +b.value === value);
    }
  };

  // Relative times, kept fresh on long-open pages; the server's text stands for the first minute.
  const UNITS = [
    [60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month'], [1 / 0, 'year'],
  ];
  function times() {
    const rtf = new Intl.RelativeTimeFormat(sec.lang || lang || undefined, { numeric: 'auto' });
    for (const t of $$('time[datetime]')) {
      let s = (Date.parse(t.dateTime) - Date.now()) / 1000;
      if (!(Math.abs(s) >= 45)) continue;
      for (const [n, unit] of UNITS) {
        if (Math.abs(s) < n) {
          t.textContent = rtf.format(Math.round(s), unit);
          break;
        }
        s /= n;
      }
    }
  }

  // The theme (light, dark or auto) is the container's data-rostra-theme, else the script tag's;
  // the host page may change the container's at any time (a light/dark switch).
  const paint = () => {
    const theme = host.dataset.rostraTheme || ds.rostraTheme;
    if (sec) theme ? (sec.dataset.rostraTheme = theme) : delete sec.dataset.rostraTheme;
  };

  function adopt(section) {
    sec = section;
    paint();
    try {
      T = { ...EN, ...JSON.parse(sec.dataset.rostraI18n || '{}') };
    } catch (e) {}
  }

  // Put a freshly fetched section in place of the live one, keeping the reader's form (and what
  // is typed in it) and the live region.
  function swap(next) {
    home();
    $('.rostra-form', next).replaceWith(form);
    $('.rostra-status', next).replaceWith(status);
    sec.replaceWith(next);
    adopt(next);
  }

  // Bring the form back from under a comment to its place at the top of the thread.
  function home() {
    for (const n of $$('.rostra-replying,[name=parent]', form)) n.remove();
    clearError(form);
    if (form.parentNode !== sec) ($('.rostra-prompt') || $('.rostra-title')).after(form);
  }

  function reply(li) {
    home();
    const name = $('.rostra-author', li).textContent;
    const note = el('p', 'rostra-replying', `${T.replying.replace('%(name)s', name)} `);
    note.id = 'rostra-replying';
    note.append(button('rostra-cancel', T.cancel));
    const parent = Object.assign(el('input'), { type: 'hidden', name: 'parent' });
    parent.value = li.dataset.id;
    form.prepend(parent, note);
    describe(form);
    card(li).after(form);
    form.elements.body.focus();
  }

  function cancelReply() {
    const li = form.closest('li');
    home();
    if (li) focus($('.rostra-reply', card(li)));
  }

  // After a change: the heading's count (in the server's words) and the reader's marks.
  async function sync() {
    const next = await fragment({ sort: sort(), limit: 1 });
    if (!$('.rostra-comments', next) !== !$('.rostra-comments')) {
      swap(await fragment({ sort: sort() })); // the thread became empty, or stopped being so
    } else {
      $('.rostra-title').textContent = $('.rostra-title', next).textContent;
      if (!$('.rostra-prompt', next) && $('.rostra-prompt')) $('.rostra-prompt').remove();
    }
    await markMine();
    times();
  }

  // Preview: a toggle (aria-pressed) under the comment box shows the text as the server's own
  // renderer makes it, in place of the box; pressing it again goes back to writing.
  function addPreview() {
    const b = button('rostra-preview', T.preview);
    const out = el('div', 'rostra-body rostra-preview-out');
    out.id = 'rostra-preview';
    b.setAttribute('aria-controls', out.id);
    out.setAttribute('aria-live', 'polite');
    form.elements.body.after(out, b);
    write();
  }

  function write() {
    const b = $('.rostra-preview', form);
    b.setAttribute('aria-pressed', false);
    $('#rostra-preview', form).hidden = true;
    form.elements.body.hidden = false;
  }

  async function preview(b) {
    const ta = form.elements.body;
    clearError(form);
    if (b.getAttribute('aria-pressed') === 'true') return write(), ta.focus();
    let r;
    try {
      r = await call('POST', '/preview', { body: ta.value });
    } catch (err) {
      return showError(form, err);
    }
    const out = $('#rostra-preview', form);
    out.replaceChildren(parse(r.html));
    out.hidden = false;
    ta.hidden = true;
    b.setAttribute('aria-pressed', true);
  }

  async function post(anyway) {
    write(); // the box again, so a refusal is shown beside the text it is about
    const data = new FormData(form);
    const body = { thread, body: data.get('body') || '', nonce };
    if (anyway) body.confirm = true;
    for (const k of ['author', 'email', 'parent', 'notify']) if (data.get(k)) body[k] = data.get(k);
    body.url = (ds.rostraUrl || location.href.split('#')[0]).slice(0, 2000);
    body.title = (ds.rostraTitle || document.title).slice(0, 500);
    if (ds.rostraSignature) body.signature = ds.rostraSignature;
    clearError(form);
    let r;
    try {
      r = await call('POST', '/comments', body);
    } catch (err) {
      return showError(form, err); // the text stays in the form
    }
    nonce = newNonce();
    if (r.reader_token) keep(r.reader_token);
    bodies.set(r.comment.id, r.comment.body);
    form.elements.body.value = '';
    if (!r.html) return home(), say(r.message); // held for review: nothing to show yet
    const li = $('li', parse(r.html));
    const parent = body.parent && byId(body.parent);
    const list = $('.rostra-comments');
    home();
    if (parent) {
      // Past the display depth the server flattens replies: then it joins its parent's list.
      const nested = +li.dataset.depth > +parent.dataset.depth;
      let ol = nested ? $(':scope>.rostra-replies', parent) : parent.parentElement;
      if (!ol) parent.append((ol = el('ol', 'rostra-replies')));
      ol.append(li);
    } else if (list) {
      sort() === 'newest' ? list.prepend(li) : list.append(li);
    }
    await sync().catch(() => {});
    const shown = byId(r.comment.id);
    if (shown) focus(shown);
    say(T.posted);
  }

  // The Markdown source to edit: known from this page, or the latest revision, or the shown text.
  async function source(li) {
    const id = li.dataset.id;
    if (bodies.has(id)) return bodies.get(id);
    try {
      const c = await call('GET', `/comments/${id}`);
      if (c.body != null) return c.body;
      const revs = (await call('GET', `/comments/${id}/revisions`)).revisions;
      if (revs.length) return revs[revs.length - 1].body;
    } catch (e) {}
    return $('.rostra-body', card(li)).innerText.trim();
  }

  async function edit(li) {
    const c = card(li);
    let ed = $('.rostra-editor', c);
    if (!ed) {
      const text = await source(li);
      ed = el('form', 'rostra-editor');
      ed.id = `rostra-editor-${li.dataset.id}`;
      const label = el('label', 'rostra-sr', T.editLabel);
      const ta = Object.assign(el('textarea'), { name: 'body', rows: 4, required: true });
      ta.value = text;
      ta.id = label.htmlFor = `rostra-edit-${li.dataset.id}`;
      ta.maxLength = form.elements.body.maxLength;
      const bar = el('div', 'rostra-bar');
      bar.append(button('rostra-submit', T.save, 'submit'), button('rostra-cancel', T.cancel));
      ed.append(label, ta, bar);
      $('.rostra-body', c).hidden = true;
      $('.rostra-body', c).after(ed);
    }
    focus(ed.elements.body);
  }

  function closeEditor(ed) {
    const c = ed.parentNode;
    ed.remove();
    $('.rostra-body', c).hidden = false;
    focus($('.rostra-edit', c));
  }

  async function save(ed, anyway) {
    const li = ed.closest('li');
    clearError(ed);
    let r;
    try {
      const body = { body: ed.elements.body.value };
      if (anyway) body.confirm = true;
      r = await call('PATCH', `/comments/${li.dataset.id}`, body);
    } catch (err) {
      return showError(ed, err);
    }
    bodies.set(li.dataset.id, r.comment.body);
    if (!r.html) return li.remove(), focus($('.rostra-title')), say(r.message); // held for review
    card(li).replaceWith(card($('li', parse(r.html))));
    await markMine();
    times();
    focus(li);
    say(T.saved);
  }

  // Deleting asks twice, inside the page: the button itself turns into "Confirm delete".
  function disarm(btn) {
    if (!btn.dataset.armed) return;
    delete btn.dataset.armed;
    btn.textContent = btn.dataset.label;
  }

  async function remove(btn, li) {
    if (!btn.dataset.armed) {
      btn.dataset.armed = 1;
      btn.dataset.label = btn.textContent;
      btn.textContent = T.confirm;
      return;
    }
    disarm(btn);
    await call('DELETE', `/comments/${li.dataset.id}`);
    let next = li;
    if ($(':scope>.rostra-replies>li', li)) {
      // Replies keep the conversation: the comment stays as a tombstone above them.
      const note = el('p', 'rostra-tombstone', T.deleted);
      note.id = `a-${li.dataset.id}`;
      card(li).replaceChildren(note);
      li.classList.add('rostra-deleted');
    } else {
      next = li.nextElementSibling || li.previousElementSibling || li.parentNode.closest('li');
      li.remove();
    }
    await sync().catch(() => {});
    focus(next && next.isConnected ? next : $('.rostra-title'));
    say(T.removed);
  }

  // Reporting opens a small form in the card: a reason (radio buttons), an optional note, Send.
  function openReport(li) {
    const c = card(li);
    let f = $('.rostra-reporter', c);
    if (!f) {
      const id = li.dataset.id;
      f = el('form', 'rostra-reporter');
      f.id = `rostra-report-${id}`;
      const set = el('fieldset');
      set.append(el('legend', '', T.why));
      for (const [value, label] of T.reasons) {
        const l = el('label', 'rostra-choice');
        const radio = Object.assign(el('input'), { type: 'radio', name: 'reason', value });
        radio.required = true;
        l.append(radio, label);
        set.append(l);
      }
      const label = el('label', '', T.note);
      const ta = Object.assign(el('textarea'), { name: 'note', rows: 2, maxLength: 500 });
      ta.id = label.htmlFor = `rostra-note-${id}`;
      const bar = el('div', 'rostra-bar');
      bar.append(button('rostra-submit', T.send, 'submit'), button('rostra-cancel', T.cancel));
      f.append(set, label, ta, bar);
      $('.rostra-actions', c).after(f);
    }
    focus($('input', f));
  }

  function closeReport(f) {
    const c = f.parentNode;
    f.remove();
    focus($('.rostra-report', c));
  }

  async function report(f) {
    const li = f.closest('li');
    clearError(f);
    try {
      await ensureToken();
      const body = { reason: f.elements.reason.value, note: f.elements.note.value };
      await call('POST', `/comments/${li.dataset.id}/reports`, body);
    } catch (err) {
      return showError(f, err);
    }
    const done = el('p', 'rostra-thanks', T.thanks);
    done.setAttribute('role', 'status');
    $('.rostra-report', card(li)).hidden = true;
    f.replaceWith(done);
    focus(done);
  }

  async function vote(btn) {
    const li = btn.closest('li');
    const value = btn.getAttribute('aria-pressed') === 'true' ? 0 : +btn.value; // again = take back
    await ensureToken();
    const r = await call('PUT', `/comments/${li.dataset.id}/vote`, { value });
    $('.rostra-score', card(li)).textContent = r.score;
    pressed(li, r.my_vote);
    say((r.my_vote ? T.voted : T.unvoted).replace('%(score)s', r.score));
  }

  async function resort(value) {
    swap(await fragment({ sort: value }));
    await markMine();
    times();
    focus($('.rostra-sort [aria-current]') || $('.rostra-title'));
  }

  // "Load more" and "Show all": append only the roots not shown yet.
  async function more(params) {
    const next = await fragment({ sort: sort(), ...params });
    const have = new Set($$('.rostra-comments>li').map((li) => li.dataset.id));
    const added = $$('.rostra-comments>li', next).filter((li) => !have.has(li.dataset.id));
    $('.rostra-comments').append(...added);
    const paging = $('.rostra-paging', next);
    paging ? $('.rostra-paging').replaceWith(paging) : $('.rostra-paging').remove();
    await markMine();
    times();
    focus(added[0] || $('.rostra-title'));
    say(T.loaded);
  }

  // Each action starts with a clean status line, so an earlier result never stands beside a new one.
  const run = (work) =>
    say('') ||
    work().catch((err) => {
      say(err instanceof Problem ? err.message : T.failed, true);
      if (!(err instanceof Problem)) throw err; // a bug: let it reach the console
    });

  function listen(shadow) {
    shadow.addEventListener('click', (e) => {
      const t = e.target.closest('a,button');
      if (!t || !sec.contains(t)) return;
      const li = t.closest('li.rostra-comment');
      const d = t.dataset;
      let work;
      if (d.reply) work = async () => reply(li);
      else if (d.edit) work = () => busy(t, () => edit(li));
      else if (d.delete) work = () => busy(t, () => remove(t, li));
      else if (d.report) work = async () => openReport(li);
      else if (d.sort) work = () => resort(d.sort);
      else if (d.cursor) work = () => busy(t, () => more({ cursor: d.cursor }));
      else if (t.matches('.rostra-preview')) work = () => busy(t, () => preview(t));
      else if (t.matches('.rostra-all')) work = () => busy(t, () => more({ all: 1 }));
      else if (t.matches('.rostra-editor .rostra-cancel')) work = async () => closeEditor(t.form);
      else if (t.matches('.rostra-reporter .rostra-cancel')) work = async () => closeReport(t.form);
      else if (t.matches('.rostra-replying :is(button, a)')) work = async () => cancelReply();
      if (!work) return;
      e.preventDefault();
      run(work);
    });
    shadow.addEventListener('submit', (e) => {
      const f = e.target;
      const submit = $('[type=submit]', f);
      const anyway = !!e.submitter && e.submitter.matches('.rostra-anyway');
      let work;
      if (f === form) work = () => busy(f, () => busy(submit, () => post(anyway), 1));
      else if (f.matches('.rostra-editor')) {
        work = () => busy(f, () => busy(submit, () => save(f, anyway), 1));
      } else if (f.matches('.rostra-reporter')) {
        work = () => busy(f, () => busy(submit, () => report(f), 1));
      } else if (f.matches('.rostra-vote') && e.submitter) {
        work = () => busy(f, () => vote(e.submitter));
      }
      if (!work) return;
      e.preventDefault();
      run(work);
    });
    shadow.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      const t = e.target;
      if (t.closest('.rostra-editor')) closeEditor(t.closest('.rostra-editor'));
      else if (t.closest('.rostra-reporter')) closeReport(t.closest('.rostra-reporter'));
      else if (t.closest('.rostra-form') && form.elements.parent) cancelReply();
      else disarm(t);
    });
    shadow.addEventListener('focusout', (e) => disarm(e.target));
  }

  async function mount() {
    host = document.querySelector('#rostra-thread,[data-rostra-container]');
    if (!host || host.shadowRoot) {
      host = el('div');
      script.parentNode === document.head ? document.body.append(host) : script.after(host);
    }
    new MutationObserver(paint).observe(host, { attributeFilter: ['data-rostra-theme'] });
    const shadow = host.attachShadow({ mode: 'open' });
    const link = Object.assign(el('link'), { rel: 'stylesheet' });
    link.href = `${root}/static/rostra.css`;
    const loaded = new Promise((done) => (link.onload = link.onerror = done));
    // Until the styles arrive, a server-rendered thread already in the page shows through a slot.
    const slot = el('slot');
    shadow.append(link, slot);
    let section = $('section.rostra', host);
    if (!section) {
      try {
        section = await fragment({});
      } catch (err) {
        section = el('p', 'rostra-status', err.message);
        section.setAttribute('role', 'status');
        await loaded;
        return slot.replaceWith(section);
      }
    }
    await loaded;
    adopt(section);
    form = $('.rostra-form');
    status = $('.rostra-status');
    addPreview();
    slot.replaceWith(sec);
    listen(shadow);
    times();
    setInterval(() => sec.isConnected && times(), 60000);
    await markMine();
    host.setAttribute('data-rostra-ready', ''); // for host pages (and tests) that wait on it
  }

  mount();
})();
