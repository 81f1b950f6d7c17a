/* OpenKassa back office: small progressive enhancements. Plain ES2017, no libraries.
 * All handlers are delegated to the document, so they also work for content
 * that htmx swaps in later (for example the point picker). */
(function () {
  "use strict";

  var body = document.body;

  /* ---------- Sidebar (phones) ---------- */

  function sidebarToggles() {
    return document.querySelectorAll("[data-toggle-sidebar]");
  }

  function setSidebar(open) {
    body.classList.toggle("sidebar-open", open);
    var sidebar = document.getElementById("sidebar");
    if (sidebar) sidebar.classList.toggle("open", open);
    sidebarToggles().forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function sidebarIsOpen() {
    return body.classList.contains("sidebar-open");
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;

    // A click outside an open user menu closes it.
    document.querySelectorAll(".user-menu details[open]").forEach(function (details) {
      if (!details.contains(target)) details.open = false;
    });

    if (target.closest("[data-toggle-sidebar]")) {
      setSidebar(!sidebarIsOpen());
      if (sidebarIsOpen()) {
        var firstLink = document.querySelector("#sidebar a");
        if (firstLink) firstLink.focus();
      }
    } else if (sidebarIsOpen() && !target.closest("#sidebar")) {
      // A click outside the open sidebar (on the dimmed backdrop) closes it.
      setSidebar(false);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (sidebarIsOpen()) {
      setSidebar(false);
      var toggle = document.querySelector("[data-toggle-sidebar]");
      if (toggle) toggle.focus();
    }
    document.querySelectorAll(".user-menu details[open]").forEach(function (details) {
      details.open = false;
      var summary = details.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  /* ---------- select[data-navigate]: go to the chosen option's URL ---------- */

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-navigate")) return;
    var url = select.value;
    if (url) window.location.assign(url);
  });

  /* ---------- [data-copy]: copy an element's text to the clipboard ---------- */

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Fallback for plain-HTTP deployments where the Clipboard API is unavailable.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (err) {
        ok = false;
      }
      body.removeChild(area);
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }

  // The text to copy: a field's value, or the element's text without any
  // explanatory .code-meta lines inside it.
  function textOf(source) {
    if (source instanceof HTMLInputElement || source instanceof HTMLTextAreaElement) return source.value.trim();
    var clone = source.cloneNode(true);
    clone.querySelectorAll(".code-meta, .sr-only").forEach(function (el) { el.remove(); });
    return clone.textContent.replace(/\s+/g, " ").trim();
  }

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    event.preventDefault();
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    copyText(textOf(source)).then(function () {
      var copied = button.dataset.copied;
      if (!copied) return;
      if (button._copyLabel === undefined) button._copyLabel = button.innerHTML;
      button.textContent = copied;
      clearTimeout(button._copyTimer);
      button._copyTimer = setTimeout(function () {
        button.innerHTML = button._copyLabel;
        button._copyLabel = undefined;
      }, 2000);
    }).catch(function () {
      // Leave the label as it is; the user can still select the text by hand.
    });
  });

  /* ---------- form[data-confirm]: ask before submitting ---------- */

  // Capture phase, so a refusal also stops htmx handlers on the form itself.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* ---------- Global htmx progress bar ---------- */

  var pending = new Set();

  function updateBusy() {
    body.classList.toggle("htmx-busy", pending.size > 0);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.defaultPrevented) return;
    pending.add(event.detail && event.detail.xhr ? event.detail.xhr : event.target);
    updateBusy();
  });

  // htmx fires afterRequest on success, error, abort and timeout alike.
  document.addEventListener("htmx:afterRequest", function (event) {
    pending.delete(event.detail && event.detail.xhr ? event.detail.xhr : event.target);
    updateBusy();
  });
})();
