/* OpenKassa statistics: draws the dashboard's charts with Chart.js (static/vendor) from the data each
 * canvas carries in its data-chart attribute (no inline scripts), shows the custom range fields only
 * for a custom period, and tells a block that failed to load. Plain ES2017.
 *
 * A chart's data: {labels: [...], titles: [...] (for tooltips), datasets: [{label, type: "line"|"bar",
 * axis: "money"|"count", color: "revenue"|"sales"|"returns", data: [...]}]}; money comes as roubles
 * in strings ("1234.50"), drawn as numbers (display only: the tables below hold the exact figures). */
(function () {
  "use strict";

  var lang = document.documentElement.lang || "ru";
  var COLORS = { revenue: "#2563eb", sales: "#93c5fd", returns: "#f87171" };
  var counts = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var roubles = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function withSign(text) {
    return lang === "ru" ? text + "\u00a0₽" : "₽" + text;
  }

  function money(value) {
    return withSign(roubles.format(value));
  }

  function dataset(set, many) {
    var color = COLORS[set.color] || "#64748b";
    var line = set.type === "line";
    return {
      type: set.type,
      label: set.label,
      data: set.data.map(Number),
      yAxisID: set.axis === "money" ? "money" : "count",
      borderColor: color,
      backgroundColor: color,
      borderWidth: line ? 2 : 0,
      pointRadius: line && !many ? 2.5 : 0,
      pointHoverRadius: 4,
      tension: 0.25,
      order: line ? 0 : 1, // the line over the bars
      maxBarThickness: 28
    };
  }

  function draw(canvas) {
    if (!window.Chart || canvas.dataset.drawn) return;
    var spec;
    try {
      spec = JSON.parse(canvas.dataset.chart);
    } catch (err) {
      return;
    }
    var many = spec.labels.length > 45;
    var hasMoney = spec.datasets.some(function (set) { return set.axis === "money"; });
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: spec.datasets.map(function (set) { return dataset(set, many); }) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: {
            callbacks: {
              title: function (items) {
                return items.length && spec.titles ? spec.titles[items[0].dataIndex] : "";
              },
              label: function (item) {
                var value = item.parsed.y;
                return item.dataset.label + ": " + (item.dataset.yAxisID === "money" ? money(value) : counts.format(value));
              }
            }
          }
        },
        scales: {
          x: { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } },
          money: {
            type: "linear", position: "left", display: hasMoney, beginAtZero: true,
            ticks: { callback: function (value) { return withSign(compact.format(value)); } }
          },
          count: {
            type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
            ticks: { precision: 0, callback: function (value) { return counts.format(value); } }
          }
        }
      }
    });
    canvas.dataset.drawn = "true";
  }

  function drawAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches("canvas[data-chart]")) draw(root);
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  /* ---------- The filter bar: the dates only for a custom range ---------- */

  function syncRange(select) {
    if (!select.form) return;
    var custom = select.value === "custom";
    select.form.querySelectorAll("[data-custom-range]").forEach(function (part) {
      part.hidden = !custom;
      if (part instanceof HTMLFieldSetElement) part.disabled = !custom; // presets send no dates: a clean address
    });
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-period")) {
      syncRange(select);
      if (select.value === "custom") {
        var start = select.form.querySelector("input[name=start]");
        if (start) start.focus();
      }
    }
  });

  /* ---------- Blocks loaded by htmx ---------- */

  document.addEventListener("htmx:load", function (event) {
    drawAll(event.detail && event.detail.elt ? event.detail.elt : event.target);
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var block = event.target instanceof Element ? event.target.closest(".stats-block") : null;
    if (block) block.removeAttribute("aria-busy");
  });

  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail && event.detail.target;
    var block = target instanceof Element ? target.closest(".stats-block") : null;
    if (!block || !block.dataset.failed) return;
    target.textContent = "";
    var message = document.createElement("p");
    message.className = "flash flash-error";
    message.setAttribute("role", "alert");
    message.textContent = block.dataset.failed;
    target.appendChild(message);
    block.removeAttribute("aria-busy");
  });

  function start() {
    document.querySelectorAll("select[data-period]").forEach(syncRange);
    drawAll(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
