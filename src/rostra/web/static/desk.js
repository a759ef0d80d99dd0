// Keyboard shortcuts for the moderation desk. The pages work without this file: every action
// is a form button. j/k move between comments, x selects, a/r/s approve/reject/mark spam,
// b bans, o opens the comment in context, g goes to the ground, ? shows the shortcuts, and
// Escape leaves a form field for the current comment again.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-desk-item]"));
  var current = -1;
  var live = document.createElement("p");
  live.setAttribute("role", "status");
  live.className = "desk-live";
  document.body.appendChild(live);

  function markCurrent(i) {
    current = i;
    items.forEach(function (el, n) { el.classList.toggle("desk-current", n === current); });
  }

  function focusItem(i) {
    if (!items.length) return;
    markCurrent(Math.max(0, Math.min(items.length - 1, i)));
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }

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

  function needsGround(button) {
    var action = button.getAttribute("data-desk-action") || button.value.split(":")[0];
    if (action === "approve") return false;
    var form = formOf(button);
    var grounds = form && form.querySelector("[data-desk-grounds]");
    if (grounds && !grounds.value) {
      var message = document.documentElement.getAttribute("data-need-ground") ||
        grounds.labels[0].textContent;
      // Emptied first so that asking again is announced again.
      live.textContent = "";
      window.setTimeout(function () { live.textContent = message; }, 50);
      grounds.focus();
      return true;
    }
    return false;
  }

  // Once a ground is chosen, the request for one no longer stands.
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-desk-grounds]") && event.target.value) live.textContent = "";
  });

  document.addEventListener("click", function (event) {
    // The buttons on one comment and the bulk buttons ("action") alike.
    var button = event.target.closest("button[data-desk-action], button[name=action]");
    if (button && needsGround(button)) event.preventDefault();
  });

  function act(action) {
    var scope = current >= 0 ? items[current] : document;
    var button = scope.querySelector('[data-desk-action="' + action + '"]') ||
      document.querySelector('[data-desk-action="' + action + '"]');
    if (button && !needsGround(button)) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var key = event.key;
    if (typesText(event.target)) {
      // Escape from the ground, the explanation or the ban length: back to the comment, ready
      // for the decision's key.
      if (key === "Escape" && items.length && event.target.closest("form")) {
        focusItem(current >= 0 ? current : 0);
        event.preventDefault();
      }
      return;
    }
    if (key === "j") focusItem(current + 1);
    else if (key === "k") focusItem(current - 1);
    else if (key === "x" && current >= 0) {
      var box = items[current].querySelector("[data-desk-select]");
      if (box) box.checked = !box.checked;
    }
    else if (key === "a") act("approve");
    else if (key === "r") act("reject");
    else if (key === "s") act("spam");
    else if (key === "b") act("ban");
    else if (key === "o" && current >= 0) {
      var link = items[current].querySelector("[data-desk-open]");
      if (link) link.click();
    }
    else if (key === "g") {
      var grounds = document.querySelector("[data-desk-grounds]");
      if (grounds) grounds.focus();
    }
    else if (key === "?") {
      var help = document.querySelector(".desk-keys details");
      if (help) help.open = !help.open;
    }
    else return;
    event.preventDefault();
  });
})();
