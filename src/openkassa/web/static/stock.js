/* OpenKassa back office: the stock document editor. Plain ES2017, no libraries.
 *
 * A scanner types a barcode and Enter into the entry, often faster than the server answers. Each scan
 * (and each product chosen by name) is therefore read at once, the entry emptied and focused for the
 * next code, and the requests sent one after another in the order they were made: none is dropped or
 * merged, as htmx's own queue of one request per element would. Each answer replaces the lines table
 * and (out of band) the entry's message, through htmx.swap. Without this script the forms post as
 * plain forms. */
(function () {
  "use strict";

  var queue = Promise.resolve();

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (err) {
      return "";
    }
  }

  function entry() {
    return document.getElementById("scan-barcode");
  }

  function send(action, body, failed) {
    return fetch(action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRF-Token": csrfToken() }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    }).then(function (html) {
      htmx.swap("#document-lines", html, { swapStyle: "outerHTML" });
    }).catch(function () {
      var message = document.getElementById("scan-error");
      if (message) message.textContent = failed;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-adds-line") || !window.fetch || !window.htmx) return;
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    var failed = (document.getElementById("scan") || form).dataset.failed || "";
    form.querySelectorAll("[data-clear]").forEach(function (input) { input.value = ""; });
    var scan = entry();
    if (scan) scan.focus();
    queue = queue.then(function () { return send(form.action, body, failed); });
  });
})();
