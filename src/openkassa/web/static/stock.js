/* OpenKassa back office: the stock document editor. Plain ES2017, no libraries.
 *
 * A scanner types a barcode and Enter into the entry, often faster than the server answers. Each scan
 * (and each product chosen by name) is therefore read at once, the entry emptied and focused for the
 * next code, and the requests sent one after another in the order they were made: none is dropped or
 * merged, as htmx's own queue of one request per element would.
 *
 * A count may hold thousands of lines, so a scan is not answered with the whole table: once the page
 * shows the table (the request says so with `HX-Target: lines-table`), the answer is the one line added
 * or changed, which replaces its row when the table has it and is appended when not, with the number of
 * lines, the total and the entry's messages out of band. Before the first line there is no table yet,
 * and the answer is the whole lines section. Everything is put in place through htmx.swap. Without this
 * script the forms post as plain forms. */
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

  /* Put an answer in place: the whole lines section, one line's row (in place, or appended), or the
   * messages alone (a refused scan). */
  function place(html) {
    var answer = document.createElement("template");
    answer.innerHTML = html;
    document.querySelectorAll("#lines-table tr.scanned").forEach(function (row) { row.classList.remove("scanned"); });
    if (answer.content.querySelector("#document-lines")) {
      htmx.swap("#document-lines", html, { swapStyle: "outerHTML" });
      return;
    }
    var row = answer.content.querySelector("tr[data-line]");
    var shown = row && document.getElementById(row.id);
    if (shown) {
      htmx.swap(shown, html, { swapStyle: "outerHTML" });
    } else if (row) {
      htmx.swap("#lines-table > tbody", html, { swapStyle: "beforeend" });
    } else {
      htmx.swap("#document-lines", html, { swapStyle: "none" });
    }
  }

  function send(action, body, failed) {
    return fetch(action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "HX-Request": "true",
        "HX-Target": document.getElementById("lines-table") ? "lines-table" : "document-lines",
        "X-CSRF-Token": csrfToken()
      }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    }).then(place).catch(function () {
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
