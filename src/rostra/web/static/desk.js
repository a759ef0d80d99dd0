// Keyboard shortcuts for the moderation desk. The pages work without this file: every action
// is a form button. j/k move between comments, x selects, a/r/s approve/reject/mark spam,
// b bans, o opens the comment in context, g goes to the ground, ? shows the shortcuts.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-desk-item]"));
  var current = -1;
  var live = document.createElement("p");
  live.setAttribute("role", "status");
  live.className = "desk-live";
  document.body.appendChild(live);

  function focusItem(i) {
    if (!items.length) return;
    current = Math.max(0, Math.min(items.length - 1, i));
    items.forEach(function (el, n) { el.classList.toggle("desk-current", n === current); });
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
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
      live.textContent = document.documentElement.getAttribute("data-need-ground") ||
        grounds.labels[0].textContent;
      grounds.focus();
      return true;
    }
    return false;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-desk-action]");
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
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
    var key = event.key;
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
