/* The Harbour Courier's scripts: the comments' theme switch, and the image lightbox.
 *
 * Without JavaScript the illustration is a plain link to the full-size file. With it, a click (or
 * Enter on the focused link) opens the image in a modal <dialog>: focus moves into it, Escape or
 * the close button or a click on the backdrop closes it, and focus returns to the link. A click
 * with a modifier key keeps the browser's own behaviour (open in a new tab, and so on).
 */
(() => {
  'use strict';
  // The comments' theme switch: without JavaScript each choice is a link that reloads the page
  // with it; with it, the choice just changes the container's data-rostra-theme, which the embed
  // follows at once (Rostra's theme API).
  const thread = document.getElementById('rostra-thread');
  document.addEventListener('click', (e) => {
    const link = e.target.closest('.theme-switch a[data-theme]');
    if (!link || !thread || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    thread.dataset.rostraTheme = link.dataset.theme;
    for (const a of link.parentNode.querySelectorAll('a')) a.removeAttribute('aria-current');
    link.setAttribute('aria-current', 'true');
    history.replaceState(null, '', link.href);
  });
})();

(() => {
  'use strict';
  const box = document.getElementById('lightbox');
  if (!box || typeof box.showModal !== 'function') return;
  const img = box.querySelector('img');
  let opener = null;

  document.addEventListener('click', (e) => {
    const link = e.target.closest('a[data-zoom]');
    if (!link || e.defaultPrevented || e.button !== 0) return;
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    opener = link;
    img.src = link.href;
    box.showModal();
    box.querySelector('.lightbox-close').focus();
  });

  // A click on the backdrop lands on the dialog element itself, outside its content.
  box.addEventListener('click', (e) => {
    if (e.target === box) box.close();
  });

  box.addEventListener('close', () => {
    if (opener) opener.focus();
    opener = null;
  });
})();
