// Keyboard shortcuts for the moderation desk. The pages work without this file: every action
// is a form button. j/k move between comments, x selects, a/r/s approve/reject/mark spam,
// b bans, o opens the comment in context, g goes to the ground, ? shows the shortcuts, and
// Escape leaves a form field for the current comment again.
//
// A decision key acts only on the comment the moderator chose (moved to with j/k, clicked or
// tabbed into), never on whatever happens to come first: a stray key on a freshly loaded queue
// must not publish anything. Outside the Pending queue, where a decision overrules an earlier
// one, approving, rejecting, marking spam and banning ask once in an in-page dialog. The
// single-key shortcuts can be switched off in the shortcut list (WCAG 2.1.4); the choice is
// kept in localStorage.
(function () {
  "use strict";
  var root = document.documentElement;
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-desk-item]"));
  var current = -1;
  var live = document.createElement("p");
  live.setAttribute("role", "status");
  live.className = "desk-live";
  document.body.appendChild(live);
  var dialog = document.querySelector("dialog[data-desk-ask-dialog]");
  var bulk = document.querySelector("details[data-desk-bulk]");
  var asked = null; // the button whose decision the moderator just confirmed
  var STORE = "rostra-desk-shortcuts";

  // The bulk form is folded away on a phone so that the queue comes first; on a wide screen
  // it is open from the start, as the ground is needed for most decisions.
  if (bulk && window.matchMedia && window.matchMedia("(min-width: 700px)").matches) bulk.open = true;

  function say(message) {
    // Emptied first so that saying it again is announced again.
    live.textContent = "";
    window.setTimeout(function () { live.textContent = message; }, 50);
  }

  // -- the off switch --------------------------------------------------------------------------
  function shortcutsOn() {
    try { return window.localStorage.getItem(STORE) !== "off"; } catch (e) { return true; }
  }
  var toggle = document.querySelector("[data-desk-keys-toggle]");
  if (toggle) {
    toggle.checked = shortcutsOn();
    // The switch is shown only where this script runs: without it there are no shortcuts.
    var holder = toggle.closest("[hidden]");
    if (holder) holder.hidden = false;
    toggle.addEventListener("change", function () {
      try {
        if (toggle.checked) window.localStorage.removeItem(STORE);
        else window.localStorage.setItem(STORE, "off");
      } catch (e) { /* private mode: the switch lasts for this page only */ }
      root.toggleAttribute("data-desk-keys-off", !toggle.checked);
    });
    root.toggleAttribute("data-desk-keys-off", !toggle.checked);
  }

  // -- the chosen comment ----------------------------------------------------------------------
  function markCurrent(i) {
    current = i;
    items.forEach(function (el, n) {
      el.classList.toggle("desk-current", n === current);
      if (n === current) el.setAttribute("aria-current", "true");
      else el.removeAttribute("aria-current");
    });
  }

  function focusItem(i) {
    if (!items.length) return;
    markCurrent(Math.max(0, Math.min(items.length - 1, i)));
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }

  // The one comment of a case page was chosen by opening it.
  items.forEach(function (el, n) { if (el.hasAttribute("data-desk-chosen")) markCurrent(n); });

  // Clicking or tabbing into a comment (its checkbox, a button) makes it the current one, so
  // j/k and the action keys go on from there.
  document.addEventListener("focusin", function (event) {
    var i = items.indexOf(event.target.closest ? event.target.closest("[data-desk-item]") : null);
    if (i >= 0 && i !== current) markCurrent(i);
  });

  // Keys typed into a text field or a list are the field's; a checkbox or button takes shortcuts.
  function typesText(el) {
    var tag = (el.tagName || "").toLowerCase();
    if (tag === "input") return !/^(checkbox|radio|button|submit|reset)$/.test(el.type);
    return tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  function formOf(el) {
    return el.closest("form") || document.querySelector("form[data-desk-queue]");
  }

  function actionOf(button) {
    return button.getAttribute("data-desk-action") || button.value.split(":")[0];
  }

  function showGrounds(grounds) {
    var folded = grounds.closest("details");
    if (folded) folded.open = true;
    grounds.focus();
  }

  function needsGround(button) {
    if (actionOf(button) === "approve") return false;
    var form = formOf(button);
    var grounds = form && form.querySelector("[data-desk-grounds]");
    if (grounds && !grounds.value) {
      say(root.getAttribute("data-need-ground") || grounds.labels[0].textContent);
      showGrounds(grounds);
      return true;
    }
    return false;
  }

  // -- asking once outside the Pending queue ---------------------------------------------------
  function ask(button) {
    var action = actionOf(button);
    var item = button.closest("[data-desk-item]") || (current >= 0 ? items[current] : null);
    var single = button.name === "one" || !!button.closest(".desk-decide");
    var author = item && item.getAttribute("data-desk-author");
    Array.prototype.forEach.call(dialog.querySelectorAll("[data-desk-ask-for]"), function (el) {
      el.hidden = el.getAttribute("data-desk-ask-for") !== action;
    });
    var who = dialog.querySelector("[data-desk-ask-who]");
    var many = dialog.querySelector("[data-desk-ask-many]");
    who.hidden = !single || !author;
    many.hidden = single;
    if (single && author) who.querySelector("span").textContent = author;
    dialog.returnTo = button;
    dialog.showModal();
  }

  if (dialog) {
    dialog.querySelector("[data-desk-ask-yes]").addEventListener("click", function () {
      var button = dialog.returnTo;
      dialog.close();
      asked = button;
      button.click();
    });
    dialog.querySelector("[data-desk-ask-no]").addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      var button = dialog.returnTo;
      if (asked !== button && button) {
        // Back where the moderator was, with nothing decided.
        var item = button.closest("[data-desk-item]");
        if (item) item.focus(); else button.focus();
      }
    });
  }

  function needsAsking(button) {
    if (!dialog || !button.closest("[data-desk-ask]")) return false;
    if (asked === button) { asked = null; return false; }
    return true;
  }

  // Once a ground is chosen, the request for one no longer stands.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-desk-grounds]") && event.target.value) live.textContent = "";
  });

  document.addEventListener("click", function (event) {
    // The buttons on one comment and the bulk buttons ("action") alike.
    var button = event.target.closest("button[data-desk-action], button[name=action]");
    if (!button) return;
    if (needsGround(button)) event.preventDefault();
    else if (needsAsking(button)) { event.preventDefault(); ask(button); }
  });

  function chosen() {
    if (current >= 0) return items[current];
    if (items.length) say(root.getAttribute("data-need-choice") || "");
    return null;
  }

  function act(action) {
    var item = chosen();
    if (!item) return;
    var selector = '[data-desk-action="' + action + '"]';
    // On a case page the buttons sit in the decision form below the comment.
    var button = item.querySelector(selector) ||
      (item.hasAttribute("data-desk-chosen") && document.querySelector(".desk-decide " + selector));
    if (button) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (dialog && dialog.open) return; // the dialog's own buttons and Escape
    var key = event.key;
    if (typesText(event.target)) {
      // Escape from the ground, the explanation or the ban length: back to the comment, ready
      // for the decision's key.
      if (key === "Escape" && current >= 0 && event.target.closest("form")) {
        focusItem(current);
        event.preventDefault();
      }
      return;
    }
    if (toggle && !toggle.checked) return;
    var item;
    if (key === "j") focusItem(current + 1);
    else if (key === "k") focusItem(current < 0 ? 0 : current - 1);
    else if (key === "x") {
      item = chosen();
      var box = item && item.querySelector("[data-desk-select]");
      if (box) box.checked = !box.checked;
    }
    else if (key === "a") act("approve");
    else if (key === "r") act("reject");
    else if (key === "s") act("spam");
    else if (key === "b") act("ban");
    else if (key === "o") {
      item = chosen();
      var link = item && item.querySelector("[data-desk-open]");
      if (link) link.click();
    }
    else if (key === "g") {
      var grounds = document.querySelector("[data-desk-grounds]");
      if (grounds) showGrounds(grounds);
    }
    else if (key === "?") {
      var help = document.querySelector(".desk-keys details");
      if (help) help.open = !help.open;
    }
    else return;
    event.preventDefault();
  });
})();
